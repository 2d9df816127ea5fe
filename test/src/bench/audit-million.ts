import { createBalanceService } from "@tally/core";
import { openDatabase, queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { startThrowawayPostgres } from "../setup/throwaway-postgres.ts";

/**
 * `tsx test/src/bench/audit-million.ts [entries]`: fills an empty PostgreSQL database (DATABASE_URL, else a throwaway
 * cluster) with a synthetic realm of 10,000 credentials and their chained ledger entries (1,000,000 by default), plus
 * one idempotency key per ten entries, then times `core.audit` over it. Run under `flock /tmp/tally-bench.lock`.
 */
const total = Number(process.argv[2] ?? 1_000_000);
const accounts = 10_000;
const perAccount = Math.ceil(total / accounts);

const cluster = process.env.DATABASE_URL ? undefined : await startThrowawayPostgres();
const database = await openDatabase({ url: process.env.DATABASE_URL ?? cluster?.url, maxConnections: 2 });
try {
  const core = createBalanceService(database.db);
  await core.ensureBootstrap({ apiKey: "tly_audit_bench_key" });
  const currency = await core.currency("default");
  const db = database.db;
  const started = performance.now();
  await db.execute(sql`INSERT INTO accounts (id, realm_id, kind)
    SELECT 'acct' || i, 'default', 'ghost' FROM generate_series(1, ${accounts}) i`);
  await db.execute(sql`INSERT INTO credentials (id, realm_id, type, value, account_id)
    SELECT 'cred' || i, 'default', 'custom', 'v' || i, 'acct' || i FROM generate_series(1, ${accounts}) i`);
  // Entries interleave across accounts in id order, as concurrent traffic writes them.
  await db.execute(sql`INSERT INTO ledger_entries (realm_id, currency_id, account_id, delta, balance_after, kind,
      initiator_type, initiator_id, via, credential_id)
    SELECT 'default', ${currency.id}, 'acct' || i, d, sum(d) OVER (PARTITION BY i ORDER BY j), 'adjust',
      'cli', 'bench', 'cli', 'cred' || i
    FROM (SELECT i, j, 1 + (i * j) % 7 AS d FROM generate_series(1, ${perAccount}) j,
      generate_series(1, ${accounts}) i) g ORDER BY j, i`);
  await db.execute(sql`INSERT INTO balances (account_id, currency_id, realm_id, balance)
    SELECT account_id, currency_id, realm_id, sum(delta) FROM ledger_entries GROUP BY 1, 2, 3`);
  await db.execute(sql`INSERT INTO idempotency_keys (realm_id, key, request_hash, result)
    SELECT 'default', 'k' || id, 'h', jsonb_build_object('entryId', id::text) FROM ledger_entries WHERE id % 10 = 0`);
  await db.execute(sql`ANALYZE`);
  const [count] = await queryRows<{ n: string }>(db, sql`SELECT count(*)::text AS n FROM ledger_entries`);
  console.log(`filled ${count?.n} entries in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  for (const realm of [undefined, "default"]) {
    for (let run = 1; run <= 3; run++) {
      const t0 = performance.now();
      const report = await core.audit(realm);
      const ms = performance.now() - t0;
      console.log(
        `audit ${realm ?? "(all realms)"} run ${run}: ${ms.toFixed(0)} ms, ok=${report.ok}, ` +
          `accounts=${report.accounts}, entries=${report.entries}, problems=${report.problems.length}`,
      );
    }
  }
} finally {
  await database.close();
  cluster?.stop();
}
