import { queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { Subject, WriteContext } from "./context.ts";
import { normalizeIdentifier } from "./identities.ts";
import { useTestCore } from "./testing.ts";

const ctx: WriteContext = { realmId: "default", initiator: { type: "cli", id: "test" }, via: "cli" };
const cred = (type: string, value: string, source?: string): Subject => ({
  kind: "credential",
  identifier: normalizeIdentifier(type, value, source),
});
const ada = cred("email", "ada@example.com");
const bob = cred("discord-id", "300000000000000001");

const world = useTestCore({ apiKey: "tly_service_test_key" });

const entries = async () =>
  Number((await queryRows<{ n: string }>(world.t.db, sql`SELECT count(*)::text AS n FROM ledger_entries`))[0]?.n);

describe("bootstrap", () => {
  it("creates realm default with a default currency once, and the configured key opens it", async () => {
    const again = await world.core.ensureBootstrap({ apiKey: "tly_service_test_key" });
    expect(again.createdRealm).toBe(false);
    const currencies = await world.core.currencies("default");
    expect(currencies.map((c) => [c.name, c.isDefault])).toEqual([["points", true]]);
    expect((await world.core.authenticateApiKey("tly_service_test_key"))?.realmId).toBe("default");
    expect(await world.core.authenticateApiKey("tly_wrong")).toBeUndefined();
  });

  it("generates and returns a key only on the first start of an empty database", async () => {
    await world.t.reset();
    const first = await world.core.ensureBootstrap();
    expect(first.createdKey).toMatch(/^tly_/);
    const stored = await queryRows<{ key_hash: string }>(world.t.db, sql`SELECT key_hash FROM api_keys`);
    expect(stored[0]?.key_hash).not.toContain(first.createdKey);
    expect((await world.core.ensureBootstrap()).createdKey).toBeUndefined();
  });
});

describe("currencies and scale", () => {
  it("parses amounts with the currency's scale and keeps exact minor units", async () => {
    const usd = await world.core.createCurrency("default", { name: "usd", scale: 2 });
    const change = await world.core.adjust(ctx, { subject: ada, amount: 10.1, currencyId: usd.id });
    expect(change.balance).toBe(1010n);
    await expect(world.core.adjust(ctx, { subject: ada, amount: 0.001, currencyId: usd.id })).rejects.toMatchObject({
      code: "INVALID_AMOUNT",
    });
    await expect(world.core.adjust(ctx, { subject: ada, amount: 1, currencyId: "nope" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    expect(await entries()).toBe(1);
  });

  it("lets an allowNegative currency go below zero and keeps one default", async () => {
    const debt = await world.core.createCurrency("default", { name: "debt", allowNegative: true, isDefault: true });
    const change = await world.core.adjust(ctx, { subject: ada, amount: 5 });
    expect(change.currencyId).toBe(debt.id);
    expect((await world.core.adjust(ctx, { subject: ada, amount: -8 })).balance).toBe(-3n);
    expect((await world.core.currencies("default")).filter((c) => c.isDefault)).toHaveLength(1);
    await expect(world.core.createCurrency("default", { name: "debt" })).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("refuses a balance past the safe range with BALANCE_LIMIT and writes nothing", async () => {
    await world.core.adjust(ctx, { subject: ada, amount: Number.MAX_SAFE_INTEGER });
    await expect(world.core.adjust(ctx, { subject: ada, amount: 1 })).rejects.toMatchObject({ code: "BALANCE_LIMIT" });
    expect(await entries()).toBe(1);
  });
});

describe("transfer", () => {
  it("moves points atomically and creates the receiver as a ghost", async () => {
    await world.core.adjust(ctx, { subject: ada, amount: 10 });
    const result = await world.core.transfer(ctx, { from: ada, to: bob, amount: 4 });
    expect([result.from.balance, result.to.balance, result.to.linked]).toEqual([6n, 4n, false]);
    await expect(world.core.transfer(ctx, { from: ada, to: bob, amount: 7 })).rejects.toMatchObject({
      code: "INSUFFICIENT_BALANCE",
    });
    await expect(world.core.transfer(ctx, { from: ada, to: ada, amount: 1 })).rejects.toMatchObject({
      code: "VALIDATION",
    });
    await expect(world.core.transfer(ctx, { from: bob, to: ada, amount: -1 })).rejects.toMatchObject({
      code: "INVALID_AMOUNT",
    });
    expect((await world.core.balanceOf("default", ada)).balance).toBe(6n);
    expect(await entries()).toBe(3);
  });
});

describe("batch", () => {
  it("applies all items or none and names the failing item", async () => {
    await world.core.adjust(ctx, { subject: ada, amount: 5 });
    await expect(
      world.core.batch(ctx, [
        { subject: bob, amount: 10 },
        { subject: ada, amount: -6 },
      ]),
    ).rejects.toMatchObject({ code: "INSUFFICIENT_BALANCE", details: { index: 1 } });
    await expect(world.core.balanceOf("default", bob)).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await entries()).toBe(1);
    const ok = await world.core.batch(ctx, [
      { subject: bob, amount: 10 },
      { subject: ada, amount: -5 },
    ]);
    expect(ok.changes.map((c) => c.balance)).toEqual([10n, 0n]);
  });

  it("replays a keyed batch", async () => {
    const keyed = { ...ctx, idempotencyKey: "batch-1" };
    const first = await world.core.batch(keyed, [{ subject: bob, amount: 3 }]);
    const again = await world.core.batch(keyed, [{ subject: bob, amount: 3 }]);
    expect(again.replayed).toBe(true);
    expect(again.changes[0]?.entryId).toBe(first.changes[0]?.entryId);
    expect((await world.core.balanceOf("default", bob)).balance).toBe(3n);
  });
});

describe("users and linking", () => {
  it("a user created with an email takes over the ghost email balance and shares it afterwards", async () => {
    await world.core.adjust(ctx, { subject: ada, amount: 12 });
    const user = await world.core.createUser(ctx, { userId: "u-ada", email: "ADA@example.com", name: "Ada" });
    expect(user.email).toBe("ada@example.com");
    const viaUser = await world.core.adjust(ctx, { subject: { kind: "user", userId: "u-ada" }, amount: 3 });
    expect(viaUser.balance).toBe(15n);
    const viaEmail = await world.core.adjust(ctx, { subject: ada, amount: 1 });
    expect([viaEmail.balance, viaEmail.linked]).toEqual([16n, true]);
    await expect(world.core.createUser(ctx, { userId: "u-ada" })).rejects.toMatchObject({ code: "CONFLICT" });
    const rows = await queryRows<{ sum: string }>(
      world.t.db,
      sql`SELECT sum(delta)::text AS sum FROM ledger_entries WHERE kind = 'link'`,
    );
    expect(rows[0]?.sum).toBe("0");
  });

  it("links one way: a linked credential cannot move to another member", async () => {
    await world.core.adjust(ctx, { subject: bob, amount: 7 });
    await world.core.createUser(ctx, { userId: "one" });
    await world.core.createUser(ctx, { userId: "two" });
    const identifier = normalizeIdentifier("discord-id", "300000000000000001");
    const linked = await world.core.link(ctx, identifier, { userId: "one" });
    expect(linked.moved.map((c) => c.balance)).toEqual([7n]);
    expect((await world.core.link(ctx, identifier, { userId: "one" })).moved).toEqual([]);
    await expect(world.core.link(ctx, identifier, { userId: "two" })).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(world.core.link(ctx, identifier, { userId: "nobody" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await world.core.balanceOf("default", { kind: "user", userId: "one" })).balance).toBe(7n);
  });

  it("pages users and history with cursors", async () => {
    for (let i = 0; i < 5; i++) await world.core.createUser(ctx, { userId: `p${i}` });
    const first = await world.core.listUsers("default", { limit: 3 });
    const second = await world.core.listUsers("default", { limit: 3, cursor: first.nextCursor ?? "" });
    // Users created in the same millisecond are ordered by id: check the pages cover everyone exactly once.
    expect([...first.items, ...second.items].map((u) => u.userId).sort()).toEqual(["p0", "p1", "p2", "p3", "p4"]);
    expect(second.nextCursor).toBeNull();
    for (let i = 1; i <= 4; i++) await world.core.adjust(ctx, { subject: ada, amount: i });
    const h1 = await world.core.history("default", { subject: ada, limit: 3 });
    const h2 = await world.core.history("default", { subject: ada, limit: 3, cursor: h1.nextCursor ?? "" });
    expect([...h1.items, ...h2.items].map((e) => e.delta)).toEqual([4n, 3n, 2n, 1n]);
    await expect(world.core.history("default", { cursor: "x'; drop" })).rejects.toMatchObject({ code: "VALIDATION" });
  });
});

describe("leaderboard", () => {
  it("ranks positive balances with stable cursor pages", async () => {
    for (let i = 0; i < 5; i++) {
      await world.core.adjust(ctx, { subject: cred("discord-id", `40000000000000000${i}`), amount: (i % 3) + 1 });
    }
    const page1 = await world.core.leaderboard("default", { take: 2 });
    const page2 = await world.core.leaderboard("default", { take: 2, after: page1.nextCursor ?? "" });
    const page3 = await world.core.leaderboard("default", { take: 2, after: page2.nextCursor ?? "" });
    const all = [...page1.items, ...page2.items, ...page3.items];
    expect(all.map((r) => r.balance)).toEqual([3n, 2n, 2n, 1n, 1n]);
    expect(all.map((r) => r.rank)).toEqual([1, 2, 3, 4, 5]);
    expect(all[0]?.credentials[0]?.type).toBe("discord-id");
    expect(page3.nextCursor).toBeNull();
  });
});
