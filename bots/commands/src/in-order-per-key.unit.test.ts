import { describe, expect, it } from "vitest";
import { inOrderPerKey } from "./in-order-per-key.ts";

const after = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("inOrderPerKey", () => {
  it("runs one key's tasks in the order given, even when the first is the slowest", async () => {
    const inOrder = inOrderPerKey();
    const done: string[] = [];
    await Promise.all([
      inOrder("m1", async () => {
        await after(30);
        done.push("add");
      }),
      inOrder("m1", async () => {
        done.push("remove");
      }),
    ]);
    expect(done).toEqual(["add", "remove"]);
  });

  it("runs different keys at once, goes on after a failure, and forgets a key once its tasks settle", async () => {
    const inOrder = inOrderPerKey();
    const done: string[] = [];
    const slow = inOrder("m1", async () => {
      await after(30);
      done.push("m1");
    });
    await inOrder("m2", async () => {
      done.push("m2");
    });
    expect(done).toEqual(["m2"]);
    await slow;
    const failed = inOrder("m3", async () => {
      throw new Error("lookup failed");
    });
    const next = inOrder("m3", async () => "answered");
    await expect(failed).rejects.toThrow("lookup failed");
    expect(await next).toBe("answered");
    await after(0);
    expect(inOrder.pending()).toBe(0);
  });
});
