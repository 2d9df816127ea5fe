import { queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import type { Subject, WriteContext } from "./context.ts";
import {
  idempotencyTtlHours,
  pruneIdempotencyKeys,
  setIdempotencyTtlHours,
  startIdempotencyPruner,
} from "./idempotency.ts";
import { normalizeIdentifier } from "./identities.ts";
import { expectAuditClean, useTestCore } from "./testing.ts";

const ctx: WriteContext = { realmId: "default", initiator: { type: "cli", id: "keys" }, via: "cli" };
const who = (id: string): Subject => ({ kind: "credential", identifier: normalizeIdentifier("discord-id", id) });
const A = who("800000000000000001");
const B = who("800000000000000002");

const world = useTestCore();
afterEach(() => expectAuditClean(world.core));

const keyed = (key: string): WriteContext => ({ ...ctx, idempotencyKey: key });
const keys = async () =>
  (await queryRows<{ key: string }>(world.t.db, sql`SELECT key FROM idempotency_keys ORDER BY key`)).map((r) => r.key);
/** Moves a key's creation back in time, as if `hours` had passed. */
const age = (key: string, hours: number) =>
  world.t.db.execute(
    sql`UPDATE idempotency_keys SET created_at = now() - make_interval(hours => ${hours}::int) WHERE key = ${key}`,
  );

describe("idempotency key lifecycle", () => {
  it("keeps keys 72 hours unless configured, and never less than 24", () => {
    expect(idempotencyTtlHours()).toBe(72);
    expect(() => setIdempotencyTtlHours(23)).toThrow(/at least 24/);
    expect(() => setIdempotencyTtlHours(1.5)).toThrow();
  });

  it("a refused request (422) leaves its key free for the retry after a top-up", async () => {
    await expect(world.core.adjust(keyed("d1"), { subject: A, amount: -5 })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await world.core.adjust(ctx, { subject: A, amount: 2 });
    await expect(world.core.adjust(keyed("d1"), { subject: A, amount: -5 })).rejects.toMatchObject({
      code: "INSUFFICIENT_BALANCE",
    });
    await expect(world.core.transfer(keyed("t1"), { from: A, to: B, amount: 5 })).rejects.toMatchObject({
      code: "INSUFFICIENT_BALANCE",
    });
    expect(await keys()).toEqual([]);
    await world.core.adjust(ctx, { subject: A, amount: 10 });
    expect((await world.core.adjust(keyed("d1"), { subject: A, amount: -5 })).replayed).toBe(false);
    expect((await world.core.transfer(keyed("t1"), { from: A, to: B, amount: 5 })).replayed).toBe(false);
    expect((await world.core.balanceOf("default", A)).balance).toBe(2n);
  });

  it("a key reused after its window is a fresh request, pruned or not yet pruned", async () => {
    const first = await world.core.adjust(keyed("k"), { subject: A, amount: 3 });
    expect((await world.core.adjust(keyed("k"), { subject: A, amount: 3 })).replayed).toBe(true);
    await age("k", 71);
    expect((await world.core.adjust(keyed("k"), { subject: A, amount: 3 })).entryId).toBe(first.entryId);

    // Expired but still stored: taken over, even by a different request.
    await age("k", 73);
    const fresh = await world.core.adjust(keyed("k"), { subject: A, amount: 4 });
    expect(fresh.replayed).toBe(false);
    expect((await world.core.adjust(keyed("k"), { subject: A, amount: 4 })).entryId).toBe(fresh.entryId);
    await expect(world.core.adjust(keyed("k"), { subject: A, amount: 3 })).rejects.toMatchObject({
      code: "IDEMPOTENCY_CONFLICT",
    });

    // The multi-statement writes take an expired key over the same way.
    await world.core.transfer(keyed("t"), { from: A, to: B, amount: 1 });
    await age("t", 100);
    expect((await world.core.transfer(keyed("t"), { from: A, to: B, amount: 1 })).replayed).toBe(false);

    // Pruned: gone, and then fresh as well.
    await age("k", 80);
    expect(await pruneIdempotencyKeys(world.t.db, { olderThan: new Date(Date.now() - 72 * 3_600_000) })).toBe(1);
    expect(await keys()).toEqual(["t"]);
    expect((await world.core.adjust(keyed("k"), { subject: A, amount: 4 })).replayed).toBe(false);
    expect((await world.core.balanceOf("default", A)).balance).toBe(3n + 4n + 4n - 2n);
  });

  it("prunes in bounded batches until nothing expired is left, and the background pruner does it by itself", async () => {
    for (let i = 0; i < 25; i++) await world.core.adjust(keyed(`p${i}`), { subject: A, amount: 1 });
    await world.t.db.execute(sql`UPDATE idempotency_keys SET created_at = now() - interval '100 hours'
      WHERE key IN ('p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6')`);
    const olderThan = new Date(Date.now() - 72 * 3_600_000);
    expect(await pruneIdempotencyKeys(world.t.db, { olderThan, batch: 3 })).toBe(7);
    expect(await keys()).toHaveLength(18);

    await world.t.db.execute(sql`UPDATE idempotency_keys SET created_at = now() - interval '90 hours'
      WHERE key IN ('p10', 'p11')`);
    const errors: unknown[] = [];
    const pruner = startIdempotencyPruner(world.t.db, { everyMs: 60_000, onError: (e) => errors.push(e) });
    await expect.poll(keys).toHaveLength(16);
    await pruner.stop();
    expect(errors).toEqual([]);
  });
});
