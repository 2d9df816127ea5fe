import { createBalanceService } from "@tally/core";
import { expectAuditClean } from "@tally/core/testing";
import { queryRows } from "@tally/db";
import { openTestDatabase, type TestDatabase } from "@tally/db/testing";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiProcess, startApiProcess } from "../tally-process.ts";

// Three API processes on one PostgreSQL, started once for the file: any of them serves any request.
const KEY = "tly_scale_out_bootstrap_key";
const LIMIT = 300;
let t: TestDatabase;
let apis: ApiProcess[] = [];

beforeAll(async () => {
  t = await openTestDatabase({ maxConnections: 4 });
  const env = { DATABASE_URL: t.url, TALLY_API_KEY: KEY, TALLY_RATE_LIMIT: String(LIMIT), DATABASE_POOL_MAX: "5" };
  apis = await Promise.all([startApiProcess(env), startApiProcess(env), startApiProcess(env)]);
}, 240_000);
afterAll(async () => {
  await Promise.all(apis.map((api) => api.stop()));
  await t.close();
});

const call = (base: string, key: string, init: RequestInit = {}, path = "/api/v1/realms/default/currencies") =>
  fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, "content-type": "application/json" } });

describe("three API processes on one PostgreSQL", () => {
  it("deltas spread over the three stay exact, and the ledger audits clean", async () => {
    const core = createBalanceService(t.db);
    const { key } = await core.createApiKey("default", { name: "deltas" });
    const path = "/api/v1/realms/default/credentials/balance?type=discord-id&value=700000000000000001";
    const responses = await Promise.all(
      Array.from({ length: 240 }, (_, i) =>
        call(apis[i % 3]?.url ?? "", key, { method: "PATCH", body: JSON.stringify({ amount: 2 }) }, path),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(240).fill(200));
    const balances = await Promise.all(responses.map((r) => r.json() as Promise<{ balance: number }>));
    // Every answer is a distinct balance: no two requests saw the same state.
    expect(new Set(balances.map((b) => b.balance)).size).toBe(240);
    const found = await call(
      apis[1]?.url ?? "",
      key,
      {},
      `/api/v1/realms/default/credentials/find?type=discord-id&value=700000000000000001`,
    );
    expect(await found.json()).toMatchObject({ balance: 480 });
    await expectAuditClean(core);
  });

  it("each process stays within its connection budget: DATABASE_POOL_MAX, plus one for LISTEN", async () => {
    const [row] = await queryRows<{ n: number }>(
      t.db,
      sql`select count(*)::int as n from pg_stat_activity where datname = current_database()`,
    );
    // 3 processes x (5 pooled + 1 listening), and this test's own pool of 4.
    expect(row?.n).toBeLessThanOrEqual(3 * (5 + 1) + 4);
  });

  it(`the per-key limit (${LIMIT} a minute) holds within 10% across the three processes`, async () => {
    const core = createBalanceService(t.db);
    for (let attempt = 0; ; attempt++) {
      const { key } = await core.createApiKey("default", { name: `limit-${attempt}` });
      const window = Math.floor(Date.now() / 60_000);
      // Twice the limit, in waves so each process keeps spending and leasing, spread round-robin.
      const statuses: number[] = [];
      for (let wave = 0; wave < 6; wave++) {
        const responses = await Promise.all(
          Array.from({ length: LIMIT / 3 }, (_, i) => call(apis[i % 3]?.url ?? "", key)),
        );
        statuses.push(...responses.map((r) => r.status));
      }
      // A run that crossed a minute boundary counted two windows: run it again with a fresh key.
      if (Math.floor(Date.now() / 60_000) !== window && attempt === 0) continue;
      const granted = statuses.filter((s) => s === 200).length;
      expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
      expect(granted).toBeLessThanOrEqual(LIMIT);
      expect(granted).toBeGreaterThanOrEqual(LIMIT * 0.9);
      const limited = await call(apis[2]?.url ?? "", key);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
      return;
    }
  });

  it("a key revoked elsewhere stops working on every process within 1 s", async () => {
    const core = createBalanceService(t.db);
    const { key, apiKey } = await core.createApiKey("default", { name: "doomed" });
    // Each process has looked the key up and caches it (for 10 s without a notification).
    for (const api of apis) expect((await call(api.url, key)).status).toBe(200);
    expect(await core.revokeApiKey("default", apiKey.id)).toBe(true);
    const revokedAt = Date.now();
    const refusedAfter = await Promise.all(
      apis.map(async (api) => {
        while ((await call(api.url, key)).status !== 401) {
          if (Date.now() - revokedAt > 5_000) return Number.POSITIVE_INFINITY;
          await new Promise((r) => setTimeout(r, 20));
        }
        return Date.now() - revokedAt;
      }),
    );
    for (const ms of refusedAfter) expect(ms).toBeLessThan(1_000);
  });

  it("giving rules changed through one process reach every process's copy within 1 s", async () => {
    const path = "/api/v1/realms/default/giving-rules";
    const limitOn = async (api: ApiProcess) =>
      ((await (await call(api.url, KEY, {}, path)).json()) as { commandsPerMinute: number | null }).commandsPerMinute;
    // Each process has read the rules and keeps a copy (for 5 s without a notification); bots limit commands by it.
    for (const api of apis) expect(await limitOn(api)).toBeNull();
    const changed = await call(apis[0]?.url ?? "", KEY, { method: "PATCH", body: '{"commandsPerMinute":7}' }, path);
    expect(changed.status).toBe(200);
    const changedAt = Date.now();
    const seenAfter = await Promise.all(
      apis.map(async (api) => {
        while ((await limitOn(api)) !== 7) {
          if (Date.now() - changedAt > 5_000) return Number.POSITIVE_INFINITY;
          await new Promise((r) => setTimeout(r, 20));
        }
        return Date.now() - changedAt;
      }),
    );
    for (const ms of seenAfter) expect(ms).toBeLessThan(1_000);
  });

  it("a binding changed anywhere, even by hand, reaches every process's copy within 1 s", async () => {
    const core = createBalanceService(t.db);
    await core.createRealm({ id: "elsewhere", name: "Elsewhere" });
    const path = "/api/v1/realms/default/reactions/discord/930000000000000001";
    /** What a process answers for the guild: its first reaction's emoji, "none", or the refusal's status. */
    const seen = async (base: string, key: string) => {
      const response = await call(base, key, {}, path);
      if (response.status !== 200) return String(response.status);
      const { reactions } = (await response.json()) as { reactions: { emoji: string }[] };
      return reactions[0]?.emoji ?? "none";
    };
    const steps: [string, (key: string) => Promise<unknown>, string][] = [
      [
        "rules set through one process's API",
        (key) =>
          call(apis[0]?.url ?? "", key, { method: "PUT", body: '{"reactions":[{"emoji":"🌮","amount":1}]}' }, path),
        "🌮",
      ],
      [
        "an UPDATE by hand",
        () => t.db.execute(sql`UPDATE bot_bindings SET settings = '{"reactions":[{"emoji":"⭐","amount":2}]}'`),
        "⭐",
      ],
      [
        "a rebinding to another realm, by another process",
        () => core.bindBot({ platform: "discord", externalId: "930000000000000001", realmId: "elsewhere" }),
        "403",
      ],
      ["a TRUNCATE", () => t.db.execute(sql`TRUNCATE bot_bindings`), "none"],
    ];
    for (const [what, change, expected] of steps) {
      const { key } = await core.createApiKey("default", { name: what });
      // Every process reads the binding now, so each holds a fresh copy: one it would keep for 5 s unless told.
      const before = await Promise.all(apis.map((api) => seen(api.url, key)));
      expect(new Set(before).size, what).toBe(1);
      expect(before[0], what).not.toBe(expected);
      await change(key);
      const changedAt = Date.now();
      const seenAfter = await Promise.all(
        apis.map(async (api) => {
          while ((await seen(api.url, key)) !== expected) {
            if (Date.now() - changedAt > 2_000) return Number.POSITIVE_INFINITY;
            await new Promise((r) => setTimeout(r, 25));
          }
          return Date.now() - changedAt;
        }),
      );
      for (const ms of seenAfter) expect(ms, what).toBeLessThan(1_000);
    }
  });
});
