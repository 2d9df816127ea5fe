import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "../harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ rateLimit: { max: 3, timeWindowMs: 60_000 } });
});
afterAll(() => h.close());

describe("per-key rate limit", () => {
  it("answers 429 with Retry-After past the limit, counting per key, and never for health checks", async () => {
    const first = await h.call("GET", "/users");
    expect(first.headers.get("x-ratelimit-limit")).toBe("3");
    expect(first.headers.get("x-ratelimit-remaining")).toBe("2");
    await h.call("GET", "/users");
    await h.call("GET", "/users");
    const limited = await h.call("GET", "/users");
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited.body.message).toContain("Too many requests");

    const { key } = await h.core.createApiKey("default", { name: "second" });
    expect((await h.call("GET", "/users", { auth: key })).status).toBe(200);
    expect((await h.call("GET", "/healthz", { auth: null })).status).toBe(200);
  });
});
