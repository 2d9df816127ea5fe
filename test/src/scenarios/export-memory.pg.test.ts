import { readFileSync } from "node:fs";
import { useTestCore } from "@tally/core/testing";
import { sql } from "drizzle-orm";
import { afterEach, expect, it } from "vitest";
import { type ApiProcess, startApiProcess } from "../tally-process.ts";

const KEY = "tly_export_memory_test_key";
const env = useTestCore({ apiKey: KEY });
/** 1,000,000 for the figure in the report (EXPORT_ROWS=1000000); fewer keep CI fast, yet more bytes than the heap. */
const ROWS = Number(process.env.EXPORT_ROWS ?? 500_000);
// The server alone (metrics, webhook worker, pruner) settles near 30 MB of heap: 64 MB leaves room for one batch, not
// for the ~75 MB the export streams.
const HEAP_MB = 64;
let api: ApiProcess | undefined;
afterEach(async () => {
  await api?.stop("SIGKILL");
});

const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;

it(
  `streams ${ROWS} ledger entries as CSV while the server's RSS stays flat`,
  async () => {
    const ctx = { realmId: "default", initiator: { type: "cli" as const, id: "t" }, via: "cli" as const };
    const seed = await env.core.adjust(ctx, {
      subject: { kind: "credential", identifier: { type: "email", source: "", value: "a@b.io" } },
      amount: 1,
    });
    await env.t.db.execute(sql`INSERT INTO ledger_entries (realm_id, currency_id, account_id, delta, balance_after, kind,
      description, initiator_type, initiator_id, via, credential_id)
    SELECT 'default', ${seed.currency.id}, ${seed.accountId}, 1, g + 1, 'adjust', 'bulk entry ' || g, 'cli', 't', 'cli',
      ${seed.credentialId} FROM generate_series(1, ${ROWS - 1}) g`);
    await env.t.db.execute(sql`ANALYZE ledger_entries`); // as autovacuum would after a bulk load

    // A heap capped well below the export's size: if the export kept what it streamed, the server would die of it.
    api = await startApiProcess({
      DATABASE_URL: env.t.url,
      TALLY_API_KEY: KEY,
      NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}`,
    });
    const pid = api.child.pid ?? 0;
    const url = `${api.url}/api/v1/realms/default/transactions/export?format=csv`;
    const headers = { authorization: `Bearer ${KEY}` };
    await (await fetch(`${url}&to=2000-01-01`, { headers })).text(); // warm the route and its code paths
    const before = rssMb(pid);
    let peak = before;
    const response = await fetch(url, { headers });
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let bytes = 0;
    let newlines = 0;
    let paused = false;
    let early = 0; // RSS once a tenth has streamed: buffers and heap have grown to their working size by then
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.length;
      for (const byte of value) if (byte === 10) newlines += 1;
      peak = Math.max(peak, rssMb(pid));
      if (!early && newlines > ROWS / 10) early = peak;
      if (!paused && bytes > 8_000_000) {
        // a slow client: the server must wait (backpressure), not read ahead into memory
        paused = true;
        await new Promise((r) => setTimeout(r, 1500));
        peak = Math.max(peak, rssMb(pid));
      }
    }
    console.log(
      `export of ${ROWS} entries: ${(bytes / 1e6).toFixed(1)} MB streamed; server RSS ${before.toFixed(0)} MB before, ` +
        `${early.toFixed(0)} MB after a tenth, peak ${peak.toFixed(0)} MB`,
    );
    expect(newlines).toBe(ROWS + 1); // header + one row per entry
    expect(bytes / 1e6).toBeGreaterThan(HEAP_MB);
    expect(api.child.exitCode).toBeNull(); // still alive: the whole export went through a heap smaller than it
    expect(peak - early).toBeLessThan(16); // the last nine tenths add next to nothing
    expect(peak - before).toBeLessThan(64);
  },
  Math.max(300_000, ROWS * 1.2),
);
