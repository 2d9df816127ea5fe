import { afterEach, describe, expect, it, vi } from "vitest";
import { createTtlCache } from "./ttl-cache.ts";

afterEach(() => {
  vi.useRealTimers();
});

describe("createTtlCache", () => {
  it("reads once for concurrent misses, and again once the copy is older than its age limit", async () => {
    vi.useFakeTimers({ now: 0 });
    const read = vi.fn(async (key: string) => `${key}@${Date.now()}`);
    const cache = createTtlCache(1_000, read);
    expect(await Promise.all([cache.get("a"), cache.get("a")])).toEqual(["a@0", "a@0"]);
    vi.setSystemTime(999);
    expect(await cache.get("a")).toBe("a@0");
    vi.setSystemTime(1_000);
    expect(await cache.get("a")).toBe("a@1000");
    expect(read).toHaveBeenCalledTimes(2);
  });

  it("drops a failed read at once, so the next caller reads again", async () => {
    let fail = true;
    const cache = createTtlCache(60_000, async () => {
      if (fail) throw new Error("database down");
      return "ok";
    });
    await expect(cache.get("a")).rejects.toThrow("database down");
    fail = false;
    expect(await cache.get("a")).toBe("ok");
  });

  it("forgets one key or all of them, and lets the oldest go when full", async () => {
    let version = 0;
    const cache = createTtlCache(60_000, async (key) => `${key}${version}`, 2);
    expect([await cache.get("a"), await cache.get("b")]).toEqual(["a0", "b0"]);
    version = 1;
    cache.forget("a");
    expect([await cache.get("a"), await cache.get("b")]).toEqual(["a1", "b0"]);
    cache.clear();
    expect(await cache.get("b")).toBe("b1");
    version = 2;
    expect(await cache.get("c")).toBe("c2"); // now full: b, c
    expect(await cache.get("a")).toBe("a2"); // the oldest, b, made room
    expect(await cache.get("c")).toBe("c2");
    expect(await cache.get("b")).toBe("b2");
  });
});
