import { buildApp } from "@tally/api";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BOOTSTRAP_KEY, type Harness, startHarness } from "../harness.ts";

let h: Harness;
let app: FastifyInstance;
let url: string;
/** Key lookups that reached the database (the real lookup, counted on its way through). */
let lookups = 0;

beforeAll(async () => {
  h = await startHarness();
  const core = {
    ...h.core,
    authenticateApiKey: (key: string) => {
      lookups++;
      return h.core.authenticateApiKey(key);
    },
  };
  app = await buildApp({ core, authLimits: { failuresPerAddress: 5, windowMs: 60_000 } });
  url = await app.listen({ host: "127.0.0.1", port: 0 });
});
afterAll(async () => {
  await app.close();
  await h.close();
});

const get = (key?: string) =>
  fetch(`${url}/api/v1/realms/default/currencies`, { headers: key ? { authorization: `Bearer ${key}` } : {} });

describe("unauthenticated requests", () => {
  it("cache unknown keys, then rate-limit 401s per address without touching the database", async () => {
    expect((await get(BOOTSTRAP_KEY)).status).toBe(200);
    expect(lookups).toBe(1);

    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await get("tly_not_a_real_key_0000000000")).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    expect(lookups).toBe(2); // one lookup; the other four were answered from the miss cache

    const limited = await get("tly_another_bad_key_000000000");
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await limited.json()).toEqual({ error: "RATE_LIMITED", message: expect.stringContaining("retry") });
    expect((await get()).status).toBe(429);
    expect(lookups).toBe(2);

    // A key the process already trusts keeps working from the same address.
    expect((await get(BOOTSTRAP_KEY)).status).toBe(200);
    expect(lookups).toBe(2);
  });

  it("a flood of distinct bad keys from a throttled address costs no lookup at all", async () => {
    const before = lookups;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => get(`tly_flood_${i.toString().padStart(20, "0")}`)),
    );
    expect(results.every((r) => r.status === 429)).toBe(true);
    expect(lookups).toBe(before);
  });
});
