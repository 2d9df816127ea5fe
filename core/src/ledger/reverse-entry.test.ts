import { queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import type { Subject, WriteContext } from "../context.ts";
import { normalizeIdentifier } from "../identities.ts";
import { expectAuditClean, useTestCore } from "../testing.ts";

const ctx: WriteContext = { realmId: "default", initiator: { type: "discord", id: "mod-1" }, via: "discord" };
const who = (id: string): Subject => ({ kind: "credential", identifier: normalizeIdentifier("discord-id", id) });
const A = who("500000000000000001");
const B = who("500000000000000002");

const world = useTestCore();
afterEach(() => expectAuditClean(world.core));

const entryCount = async () =>
  Number((await queryRows<{ n: string }>(world.t.db, sql`SELECT count(*)::text AS n FROM ledger_entries`))[0]?.n);
const balance = async (subject: Subject) => (await world.core.balanceOf("default", subject)).balance;

describe("reverse", () => {
  it("appends a reversal that moves the exact opposite amount, shown both ways in history, once", async () => {
    await world.core.adjust(ctx, { subject: A, amount: 5 });
    const credit = await world.core.adjust(ctx, { subject: A, amount: 7, description: "oops" });
    const reversal = await world.core.reverse(ctx, credit.entryId, { description: "typo" });
    expect(reversal.entry).toMatchObject({
      kind: "reversal",
      delta: -7n,
      balanceAfter: 5n,
      reversesEntryId: BigInt(credit.entryId),
      accountId: credit.accountId,
      description: "typo",
      initiatorId: "mod-1",
    });
    expect(reversal).toMatchObject({ balance: 5n, replayed: false });
    expect(await balance(A)).toBe(5n);
    const page = await world.core.history("default", {});
    const original = page.items.find((e) => String(e.id) === credit.entryId);
    expect(original?.reversedBy).toBe(String(reversal.entry.id));
    expect(page.items[0]?.reversedBy).toBeNull();

    await expect(world.core.reverse(ctx, credit.entryId)).rejects.toMatchObject({ code: "ALREADY_REVERSED" });
    expect(await entryCount()).toBe(3);
  });

  it("reverses a transfer as a whole, whichever leg is named", async () => {
    await world.core.adjust(ctx, { subject: A, amount: 30 });
    const transfer = await world.core.transfer(ctx, { from: A, to: B, amount: 12 });
    const reversal = await world.core.reverse(ctx, transfer.to.entryId);
    // Each leg gets its own opposite: the payer +12 back, the receiver -12.
    const undone = new Map(reversal.entries.map((e) => [String(e.reversesEntryId), e.delta]));
    expect(undone).toEqual(
      new Map([
        [transfer.from.entryId, 12n],
        [transfer.to.entryId, -12n],
      ]),
    );
    expect(reversal.entry.reversesEntryId).toBe(BigInt(transfer.to.entryId));
    expect(reversal.balance).toBe(0n);
    expect(await balance(A)).toBe(30n);
    expect(await balance(B)).toBe(0n);
    await expect(world.core.reverse(ctx, transfer.from.entryId)).rejects.toMatchObject({
      code: "ALREADY_REVERSED",
    });
  });

  it("refuses to reverse a credit that was already spent, changing nothing", async () => {
    const credit = await world.core.adjust(ctx, { subject: A, amount: 10 });
    await world.core.adjust(ctx, { subject: A, amount: -8 });
    await expect(world.core.reverse(ctx, credit.entryId)).rejects.toMatchObject({ code: "INSUFFICIENT_BALANCE" });
    expect(await entryCount()).toBe(2);
    expect(await balance(A)).toBe(2n);
    // Topped up, it can be reversed after all: the refusal left the entry reversible.
    await world.core.adjust(ctx, { subject: A, amount: 8 });
    expect((await world.core.reverse(ctx, credit.entryId)).balance).toBe(0n);
  });

  it("follows an allowNegative currency into the negative", async () => {
    const debt = await world.core.createCurrency("default", { name: "debt", allowNegative: true });
    const credit = await world.core.adjust(ctx, { subject: A, amount: 4, currencyId: debt.id });
    await world.core.adjust(ctx, { subject: A, amount: -4, currencyId: debt.id });
    expect((await world.core.reverse(ctx, credit.entryId)).balance).toBe(-4n);
  });

  it("replays an idempotency key and refuses it for another entry", async () => {
    const one = await world.core.adjust(ctx, { subject: A, amount: 3 });
    const two = await world.core.adjust(ctx, { subject: A, amount: 4 });
    const keyed = { ...ctx, idempotencyKey: "undo-1" };
    const first = await world.core.reverse(keyed, one.entryId);
    const again = await world.core.reverse(keyed, one.entryId);
    expect(again).toMatchObject({ replayed: true, balance: first.balance });
    expect(again.entry.id).toBe(first.entry.id);
    await expect(world.core.reverse(keyed, two.entryId)).rejects.toMatchObject({ code: "IDEMPOTENCY_CONFLICT" });
    expect(await balance(A)).toBe(4n);
  });

  it("answers NOT_FOUND for an unknown entry or another realm's, and refuses links and reversals", async () => {
    await world.core.createRealm({ id: "other", name: "Other" });
    const theirs = await world.core.adjust({ ...ctx, realmId: "other" }, { subject: A, amount: 1 });
    await expect(world.core.reverse(ctx, theirs.entryId)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(world.core.reverse(ctx, "999999")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(world.core.reverse(ctx, "12abc")).rejects.toMatchObject({ code: "NOT_FOUND" });

    const credit = await world.core.adjust(ctx, { subject: A, amount: 6 });
    const reversal = await world.core.reverse(ctx, credit.entryId);
    await expect(world.core.reverse(ctx, String(reversal.entry.id))).rejects.toMatchObject({ code: "VALIDATION" });
    await world.core.adjust(ctx, { subject: A, amount: 2 });
    await world.core.createUser(ctx, { userId: "u1" });
    const link = await world.core.link(ctx, normalizeIdentifier("discord-id", "500000000000000001"), { userId: "u1" });
    await expect(world.core.reverse(ctx, link.moved[0]?.entryId ?? "")).rejects.toMatchObject({ code: "VALIDATION" });
  });

  it("takes a ghost's credit back from the member it was linked to since", async () => {
    const credit = await world.core.adjust(ctx, { subject: A, amount: 9 });
    const member = await world.core.createUser(ctx, { userId: "u2" });
    await world.core.link(ctx, normalizeIdentifier("discord-id", "500000000000000001"), { userId: "u2" });
    const reversal = await world.core.reverse(ctx, credit.entryId);
    expect(reversal.entry).toMatchObject({ accountId: member.id, delta: -9n, balanceAfter: 0n });
  });

  it("finds the initiator's newest give or take in a realm that is not reversed yet", async () => {
    const other: WriteContext = { ...ctx, initiator: { type: "discord", id: "mod-2" } };
    const first = await world.core.adjust(ctx, { subject: A, amount: 1 });
    const second = await world.core.adjust(ctx, { subject: B, amount: 2 });
    await world.core.adjust(other, { subject: A, amount: 3 });
    expect(String((await world.core.lastEntryBy("default", ctx.initiator))?.id)).toBe(second.entryId);
    await world.core.reverse(ctx, second.entryId);
    expect(String((await world.core.lastEntryBy("default", ctx.initiator))?.id)).toBe(first.entryId);
    expect(await world.core.lastEntryBy("default", { type: "slack", id: "mod-1" })).toBeUndefined();
  });
});
