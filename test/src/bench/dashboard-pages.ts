import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildApp } from "@tally/api";
import { createBalanceService, createWebhook } from "@tally/core";
import { openDatabase, queryRows } from "@tally/db";
import { SUMMARY_TTL_MS } from "@tally/web";
import { sql } from "drizzle-orm";
import { startThrowawayPostgres } from "../setup/throwaway-postgres.ts";
import { WebClient } from "../web-client.ts";

/**
 * `pnpm bench:dashboard` (run it under `flock /tmp/tally-bench.lock`): every dashboard page against a realm with
 * 100,000 ledger entries over 1,000 members and 30 days, on PostgreSQL. Each page is fetched 5 times to warm up, then
 * 20 times; the time is the whole response on loopback (server time plus a local round trip). Goal: < 200 ms each.
 */
const ENTRIES = 100_000;
const MEMBERS = 1_000;
const SAMPLES = 20;
const KEY = "tly_dashboard_bench_key_01234";
const GOAL_MS = 200;

const pg = await startThrowawayPostgres();
const database = await openDatabase({ url: pg.url });
try {
  const core = createBalanceService(database.db);
  await core.ensureBootstrap({ apiKey: KEY });
  const cur = await core.currency("default");
  const started = performance.now();
  await database.db.execute(sql`INSERT INTO accounts (id, realm_id, kind, user_id, name)
    SELECT 'acct' || g, 'default', 'member', 'user' || g, 'Member ' || g FROM generate_series(1, ${MEMBERS}) g`);
  await database.db.execute(sql`INSERT INTO credentials (id, realm_id, type, source, value, account_id)
    SELECT 'cred' || g, 'default', 'discord-id', '', (100000000000000000 + g)::text, 'acct' || g
    FROM generate_series(1, ${MEMBERS}) g`);
  // Entries 25 s apart ending now (about 29 days), each member's balance_after the running sum of its deltas.
  await database.db.execute(sql`INSERT INTO ledger_entries (realm_id, currency_id, account_id, delta, balance_after,
      kind, initiator_type, initiator_id, via, credential_id, created_at)
    SELECT 'default', ${cur.id}, 'acct' || m, d, sum(d) OVER (PARTITION BY m ORDER BY g), 'adjust', 'discord',
      (200000000000000000 + g % 7)::text, 'discord', 'cred' || m, now() - (${ENTRIES} - g) * interval '25 seconds'
    FROM (SELECT g, g % ${MEMBERS} + 1 AS m, g % 10 + 1 AS d FROM generate_series(1, ${ENTRIES}) g) s ORDER BY g`);
  await database.db.execute(sql`INSERT INTO balances (account_id, currency_id, realm_id, balance)
    SELECT account_id, currency_id, realm_id, sum(delta) FROM ledger_entries GROUP BY 1, 2, 3`);
  // Entries built up over a month have been vacuumed (hint bits set) by autovacuum; freshly bulk-loaded ones not yet.
  // A webhook endpoint with 1,000 deliveries (a page of them is shown), a bound guild, the public page switched on.
  const hook = await createWebhook(database.db, "default", { url: "http://127.0.0.1:9/hooks" }, { allowPrivate: true });
  await database.db.execute(sql`INSERT INTO webhook_outbox (realm_id, type, entry_id, sequence)
    SELECT 'default', 'balance.changed', g, g FROM generate_series(1, 1000) g`);
  await database.db.execute(sql`INSERT INTO webhook_deliveries (endpoint_id, realm_id, event_id, type, outbox_id,
      status, attempts, last_status_code, last_attempt_at)
    SELECT ${hook.id}, 'default', 'evt_' || id, 'balance.changed', id, 'succeeded', 1, 200, now() FROM webhook_outbox`);
  await core.bindBot({ platform: "discord", externalId: "100000000000000001", realmId: "default" });
  await core.updateRealmSettings("default", { publicLeaderboard: true });
  await database.db.execute(sql`VACUUM ANALYZE`);
  const [count] = await queryRows<{ n: string }>(database.db, sql`SELECT count(*)::text AS n FROM ledger_entries`);
  console.log(`Seeded ${count?.n} entries in ${Math.round(performance.now() - started)} ms`);

  // The dashboard's clock runs ahead on demand, so the overview's 10-second summary cache can be made to miss.
  let ahead = 0;
  const app = await buildApp({ core, dashboard: { now: () => new Date(Date.now() + ahead) }, rateLimit: false });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  const web = new WebClient(url);
  await web.logIn(KEY);
  const pages: [string, string][] = [
    ["overview", "/dashboard"],
    ["leaderboard", "/dashboard/leaderboard"],
    ["ledger", "/dashboard/ledger"],
    ["ledger, page 100", `/dashboard/ledger?cursor=${ENTRIES - 50 * 100}`],
    ["ledger by member", "/dashboard/ledger?member=user500"],
    ["ledger by credential", "/dashboard/ledger?credential=discord:100000000000000500"],
    ["ledger by initiator and day", "/dashboard/ledger?initiator=200000000000000003&from=2020-01-01"],
    ["ledger, kind with no match", "/dashboard/ledger?kind=reversal"],
    ["member", "/dashboard/members/acct500"],
    ["reverse confirmation", "/dashboard/ledger/50000/reverse"],
    ["currencies", "/dashboard/currencies"],
    ["API keys", "/dashboard/keys"],
    ["currency edit", `/dashboard/currencies/${cur.id}`],
    ["settings", "/dashboard/settings"],
    ["webhooks", "/dashboard/webhooks"],
    ["webhook deliveries", `/dashboard/webhooks/${hook.id}`],
    ["bots", "/dashboard/bots"],
    ["public leaderboard", "/r/default"],
    ["public leaderboard, this week", "/r/default?period=week"],
  ];
  const rows: string[] = [];
  let worst = 0;
  // The very first request of the process, before anything is compiled or cached, is reported on its own.
  const cold = performance.now();
  await web.get("/dashboard");
  const coldMs = performance.now() - cold;
  rows.push(
    `| overview, first request of a fresh process (the pool opens its connections) | \`/dashboard\` | ${coldMs.toFixed(1)} | |`,
  );
  console.log(`${"overview, fresh process".padEnd(30)} ${coldMs.toFixed(1)} ms`);
  // The overview caches its summary for 10 s; "not cached" moves the clock past that before every request.
  for (const [name, path] of [["overview, summary not cached", "/dashboard"] as const, ...pages]) {
    const times: number[] = [];
    for (let i = 0; i < 5 + SAMPLES; i++) {
      if (name.endsWith("not cached")) ahead += SUMMARY_TTL_MS + 1;
      const t0 = performance.now();
      const answer = await web.get(path);
      const ms = performance.now() - t0;
      if (answer.status !== 200) throw new Error(`${name}: ${answer.status} ${answer.text.slice(0, 300)}`);
      if (i >= 5) times.push(ms);
    }
    times.sort((a, b) => a - b);
    const p50 = times[Math.floor(SAMPLES / 2)] ?? 0;
    const max = times.at(-1) ?? 0;
    worst = Math.max(worst, p50);
    rows.push(`| ${name} | \`${path}\` | ${p50.toFixed(1)} | ${max.toFixed(1)} |`);
    console.log(`${name.padEnd(30)} p50 ${p50.toFixed(1)} ms  max ${max.toFixed(1)} ms`);
  }
  await app.close();
  const report = [
    "# Dashboard page times",
    "",
    `\`pnpm bench:dashboard\` on ${new Date().toISOString().slice(0, 10)}: PostgreSQL, one realm with ${ENTRIES.toLocaleString("en")} entries over ${MEMBERS} members and ~29 days; ${SAMPLES} requests per page after 5 to warm up, whole response on loopback.`,
    "",
    "| page | path | p50 ms | max ms |",
    "|---|---|---:|---:|",
    ...rows,
    "",
    `Slowest median: ${worst.toFixed(1)} ms (goal: under ${GOAL_MS} ms).`,
    "",
  ].join("\n");
  writeFileSync(fileURLToPath(new URL("../../../bench/dashboard.md", import.meta.url)), report);
  if (worst >= GOAL_MS) {
    console.error(`A page took ${worst.toFixed(1)} ms at the median (goal ${GOAL_MS} ms)`);
    process.exitCode = 1;
  }
} finally {
  await database.close();
  pg.stop();
}
