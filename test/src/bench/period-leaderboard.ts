import { createBalanceService, type Period } from "@tally/core";
import { openDatabase, queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { startThrowawayPostgres } from "../setup/throwaway-postgres.ts";

/**
 * `tsx test/src/bench/period-leaderboard.ts [entries]`: fills an empty PostgreSQL database (DATABASE_URL, else a
 * throwaway cluster) with 10,000 credentials and their entries (1,000,000 by default) spread evenly over the last 365
 * days, then times the day, week and month leaderboards, with the (realm, currency, created_at) index and without it.
 * Run under `flock /tmp/tally-bench.lock`.
 */
const total = Number(process.argv[2] ?? 1_000_000);
const accounts = 10_000;
const perAccount = Math.ceil(total / accounts);

const cluster = process.env.DATABASE_URL ? undefined : await startThrowawayPostgres();
const database = await openDatabase({ url: process.env.DATABASE_URL ?? cluster?.url, maxConnections: 2 });
try {
  const core = createBalanceService(database.db);
  await core.ensureBootstrap({ apiKey: "tly_period_bench_key" });
  const currency = await core.currency("default");
  const db = database.db;
  const started = performance.now();
  await db.execute(sql`INSERT INTO accounts (id, realm_id, kind)
    SELECT 'acct' || i, 'default', 'ghost' FROM generate_series(1, ${accounts}) i`);
  await db.execute(sql`INSERT INTO credentials (id, realm_id, type, value, account_id)
    SELECT 'cred' || i, 'default', 'custom', 'v' || i, 'acct' || i FROM generate_series(1, ${accounts}) i`);
  // Entry n of `total` happened (total - n) / total of a year ago: oldest first, as the ledger grows.
  await db.execute(sql`INSERT INTO ledger_entries (realm_id, currency_id, account_id, delta, balance_after, kind,
      initiator_type, initiator_id, via, credential_id, created_at)
    SELECT 'default', ${currency.id}, 'acct' || i, d, sum(d) OVER (PARTITION BY i ORDER BY j), 'adjust',
      'cli', 'bench', 'cli', 'cred' || i,
      now() - interval '365 days' * (1 - ((j - 1) * ${accounts} + i)::float8 / ${perAccount * accounts})
    FROM (SELECT i, j, 1 + (i * j) % 7 AS d FROM generate_series(1, ${perAccount}) j,
      generate_series(1, ${accounts}) i) g ORDER BY j, i`);
  await db.execute(sql`INSERT INTO balances (account_id, currency_id, realm_id, balance)
    SELECT account_id, currency_id, realm_id, sum(delta) FROM ledger_entries GROUP BY 1, 2, 3`);
  await db.execute(sql`ANALYZE`);
  const [count] = await queryRows<{ n: string }>(db, sql`SELECT count(*)::text AS n FROM ledger_entries`);
  console.log(`filled ${count?.n} entries over 365 days in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const measure = async (label: string) => {
    for (const period of ["day", "week", "month", "all"] satisfies Period[]) {
      const times: number[] = [];
      let rows = 0;
      for (let run = 1; run <= 5; run++) {
        const t0 = performance.now();
        const board = await core.leaderboard("default", { period, take: 10 });
        times.push(performance.now() - t0);
        rows = board.items.length;
      }
      times.sort((x, y) => x - y);
      console.log(
        `${label} period=${period}: median ${times[2]?.toFixed(1)} ms, best ${times[0]?.toFixed(1)} ms ` +
          `(5 runs, top ${rows})`,
      );
    }
  };
  await measure("with index");
  await db.execute(sql`DROP INDEX ledger_realm_currency_created_idx`);
  await db.execute(sql`ANALYZE ledger_entries`);
  await measure("without index");
} finally {
  await database.close();
  cluster?.stop();
}
