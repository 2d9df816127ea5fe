import { expectAuditClean } from "@tally/core/testing";
import { queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BOOTSTRAP_KEY, type Harness, startHarness } from "../harness.ts";
import { startApiProcess } from "../tally-process.ts";

// Races need real connections: PostgreSQL only.
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ rateLimit: false }, { maxConnections: 20 });
});
afterAll(() => h.close());
beforeEach(() => h.reset());
// Whatever a race did, the ledger must still prove itself afterwards.
afterEach(() => expectAuditClean(h.core));

const path = "/api/v1/realms/default/credentials/balance?type=discord-id&value=555555555555555555";
const patch = (base: string, amount: number, key?: string) =>
  fetch(`${base}${path}`, {
    method: "PATCH",
    headers: {
      authorization: `Bearer ${BOOTSTRAP_KEY}`,
      "content-type": "application/json",
      ...(key ? { "idempotency-key": key } : {}),
    },
    body: JSON.stringify({ amount }),
  });

async function ledger(): Promise<{ balance: string; sum: string; entries: string }> {
  const [row] = await queryRows<{ balance: string; sum: string; entries: string }>(
    h.t.db,
    sql`SELECT (SELECT coalesce(sum(balance), 0)::text FROM balances) AS balance,
      (SELECT coalesce(sum(delta), 0)::text FROM ledger_entries) AS sum,
      (SELECT count(*)::text FROM ledger_entries) AS entries`,
  );
  if (!row) throw new Error("no row");
  return row;
}

describe("HTTP concurrency on PostgreSQL", () => {
  it("200 parallel deltas on one credential end exact", async () => {
    const responses = await Promise.all(Array.from({ length: 200 }, () => patch(h.url, 1)));
    expect(responses.map((r) => r.status)).toEqual(Array(200).fill(200));
    expect(await ledger()).toEqual({ balance: "200", sum: "200", entries: "200" });
  });

  it("the same Idempotency-Key sent 50 times at once applies once, every answer the same", async () => {
    const responses = await Promise.all(Array.from({ length: 50 }, () => patch(h.url, 5, "burst")));
    const bodies = await Promise.all(responses.map((r) => r.json()));
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
    expect(responses.filter((r) => r.headers.get("idempotent-replayed") === "true")).toHaveLength(49);
    expect(await ledger()).toEqual({ balance: "5", sum: "5", entries: "1" });
  });

  it("two API processes on one database, traffic split across both, give exact totals", async () => {
    const second = await startApiProcess({
      DATABASE_URL: h.t.url,
      TALLY_API_KEY: BOOTSTRAP_KEY,
      TALLY_RATE_LIMIT: "0",
    });
    try {
      await patch(h.url, 100);
      const requests = Array.from({ length: 300 }, (_, i) => patch(i % 2 ? h.url : second.url, i % 3 === 0 ? -1 : 2));
      const statuses = (await Promise.all(requests)).map((r) => r.status);
      const ok = statuses.filter((s) => s === 200).length;
      expect(statuses.every((s) => s === 200)).toBe(true);
      const state = await ledger();
      expect(state.balance).toBe(state.sum);
      expect(Number(state.entries)).toBe(ok + 1);
      expect(state.balance).toBe(String(100 + 200 * 2 - 100));
    } finally {
      await second.stop();
    }
  });

  it("kill -9 under load loses no acknowledged write, and retries apply each request exactly once", async () => {
    const victim = await startApiProcess({
      DATABASE_URL: h.t.url,
      TALLY_API_KEY: BOOTSTRAP_KEY,
      TALLY_RATE_LIMIT: "0",
    });
    const acknowledged = new Set<string>();
    const keys = Array.from({ length: 400 }, (_, i) => `crash-${i}`);
    let next = 0;
    const worker = async () => {
      while (next < keys.length) {
        const key = keys[next++] as string;
        try {
          const response = await patch(victim.url, 1, key);
          if (response.status === 200) acknowledged.add(key);
        } catch {
          // the process died mid-request: not acknowledged, so the client will retry
        }
      }
    };
    const load = Promise.all(Array.from({ length: 16 }, worker));
    while (acknowledged.size < 50) await new Promise((r) => setTimeout(r, 5));
    victim.child.kill("SIGKILL");
    await load;
    await victim.stop();

    const stored = await queryRows<{ key: string }>(h.t.db, sql`SELECT key FROM idempotency_keys`);
    const storedKeys = new Set(stored.map((r) => r.key));
    for (const key of acknowledged) expect(storedKeys.has(`api:${key}`), key).toBe(true);
    expect(acknowledged.size).toBeGreaterThanOrEqual(50);
    expect(acknowledged.size).toBeLessThan(keys.length);

    // The client retries everything it sent, acknowledged or not, against a healthy process.
    const retries = await Promise.all(keys.map((key) => patch(h.url, 1, key)));
    expect(retries.every((r) => r.status === 200)).toBe(true);
    expect(await ledger()).toEqual({ balance: "400", sum: "400", entries: "400" });
  });
});
