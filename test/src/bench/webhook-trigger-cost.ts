import { createBalanceService } from "@tally/core";
import { openDatabase } from "@tally/db";
import postgres from "postgres";
import { startThrowawayPostgres } from "../setup/throwaway-postgres.ts";

/**
 * What the webhook outbox trigger adds to a ledger insert, measured inside PostgreSQL (no network noise):
 * single-row inserts (one delta per statement) and 100-row inserts (the batching writer), with the trigger off,
 * on for a realm without an endpoint, on for a realm with one, and with a FOR EACH ROW trigger for comparison.
 * Run: flock /tmp/tally-bench.lock corepack pnpm tsx test/src/bench/webhook-trigger-cost.ts
 */
const SINGLE = 20_000;
const MULTI_STATEMENTS = 200;
const ROWS = 100;

const cluster = process.env.DATABASE_URL
  ? undefined
  : await startThrowawayPostgres({ fsync: "on", synchronous_commit: "on" });
const url = process.env.DATABASE_URL ?? cluster?.url ?? "";
const opened = await openDatabase({ url });
const core = createBalanceService(opened.db);
await core.ensureBootstrap({ apiKey: "tly_bench_trigger_cost_key" });
await core.createRealm({ name: "quiet", id: "quiet" });
const sql = postgres(url, { max: 1, onnotice: () => {} });
await sql`INSERT INTO webhook_endpoints (id, realm_id, url, secret) VALUES ('bench', 'default', 'http://127.0.0.1:9/', 'whsec_x')`;

const insert = (realm: string, rows: number) => `INSERT INTO ledger_entries (realm_id, currency_id, account_id, delta,
  balance_after, kind, initiator_type, initiator_id, via)
  SELECT '${realm}', 'c', 'a', 1, 1, 'adjust', 'cli', 'bench', 'cli' FROM generate_series(1, ${rows})`;

/** Microseconds per ledger entry for `statements` statements of `rows` rows each, timed by the server. */
async function perEntry(realm: string, statements: number, rows: number): Promise<number> {
  const runs: number[] = [];
  for (let run = 0; run < 5; run++) {
    await sql.unsafe(`DO $$ DECLARE t0 timestamptz := clock_timestamp(); BEGIN
        FOR i IN 1..${statements} LOOP ${insert(realm, rows)}; END LOOP;
        PERFORM set_config('bench.us', (extract(epoch FROM clock_timestamp() - t0) * 1e6)::text, false);
      END $$`);
    const [row] = await sql`SELECT current_setting('bench.us') AS us`;
    runs.push(Number((row as { us: string }).us) / (statements * rows));
    await sql`TRUNCATE ledger_entries, webhook_outbox`;
  }
  return runs.sort((a, b) => a - b)[2] as number;
}

async function scenario(name: string): Promise<void> {
  const single = await perEntry(name === "endpoint" || name === "row trigger" ? "default" : "quiet", SINGLE, 1);
  const multi = await perEntry(
    name === "endpoint" || name === "row trigger" ? "default" : "quiet",
    MULTI_STATEMENTS,
    ROWS,
  );
  results.push({ name, single, multi });
}

const results: { name: string; single: number; multi: number }[] = [];
await sql`ALTER TABLE ledger_entries DISABLE TRIGGER webhook_outbox_ledger_entries`;
await scenario("no trigger");
await sql`ALTER TABLE ledger_entries ENABLE TRIGGER webhook_outbox_ledger_entries`;
await scenario("no endpoint");
await scenario("endpoint");
await sql`ALTER TABLE ledger_entries DISABLE TRIGGER webhook_outbox_ledger_entries`;
await sql.unsafe(`CREATE FUNCTION bench_row_outbox() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
    IF EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.realm_id = NEW.realm_id AND w.enabled) THEN
      INSERT INTO webhook_outbox (realm_id, type, entry_id) VALUES (NEW.realm_id, 'balance.changed', NEW.id);
    END IF; RETURN NULL; END $$;
  CREATE TRIGGER bench_row AFTER INSERT ON ledger_entries FOR EACH ROW EXECUTE FUNCTION bench_row_outbox()`);
await scenario("row trigger");

const base = results[0] as (typeof results)[number];
console.log("scenario                 µs/entry single-row   µs/entry 100-row   added single / multi");
for (const r of results) {
  console.log(
    `${r.name.padEnd(24)} ${r.single.toFixed(2).padStart(10)} ${r.multi.toFixed(2).padStart(18)}   ` +
      `${(r.single - base.single).toFixed(2).padStart(8)} / ${(r.multi - base.multi).toFixed(2)}`,
  );
}
await sql.end();
await opened.close();
cluster?.stop();
