import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

interface Queue<T> {
  readonly length: number;
  push(x: T): T;
  shift(): T | undefined;
  remove(x: T): T | null;
}

// postgres.js does not export its queue; load the file the pool itself uses (patched, see patches/README.md).
const root = dirname(dirname(dirname(createRequire(import.meta.url).resolve("postgres"))));
const { default: Queue } = (await import(pathToFileURL(join(root, "src", "queue.js")).href)) as {
  default: <T>(initial?: T[]) => Queue<T>;
};

describe("postgres.js connection queue (patched)", () => {
  it("is first in, first out, and removes from anywhere", () => {
    const [a, b, c] = [{ n: "a" }, { n: "b" }, { n: "c" }];
    const q = Queue([a]);
    q.push(b);
    q.push(c);
    expect(q.length).toBe(3);
    expect(q.remove(b)).toBe(b);
    expect(q.remove(b)).toBeNull();
    expect(q.remove({ n: "stranger" })).toBeNull();
    expect([q.shift(), q.shift(), q.length]).toEqual([a, c, 0]);
    expect(q.shift()).toBeUndefined();
    q.push(a);
    expect([q.length, q.shift(), q.length]).toEqual([1, a, 0]);
  });

  it("keeps an item queued twice in its place, removing its first occurrence", () => {
    const [a, b] = [{ n: "a" }, { n: "b" }];
    const q = Queue<{ n: string }>();
    q.push(a);
    q.push(b);
    q.push(a);
    expect(q.remove(a)).toBe(a);
    expect([q.length, q.shift(), q.shift(), q.length]).toEqual([2, b, a, 0]);
  });

  it("moves a busy connection 200,000 times without slowing down (3.4.9's array scan made this quadratic)", () => {
    const busy = Queue<{ id: number }>();
    for (let id = 0; id < 10; id++) busy.push({ id });
    // The pool's cycle per query while every connection is busy: shift one, remove it (a miss), push it back.
    const started = performance.now();
    for (let i = 0; i < 200_000; i++) {
      const c = busy.shift() as { id: number };
      busy.remove(c);
      busy.push(c);
    }
    // Unpatched, the run of emptied slots grows by one per move: about 2·10^10 slot reads here, many seconds.
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(busy.length).toBe(10);
    expect(busy.shift()).toEqual({ id: 0 });
  });
});
