import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Subject, WriteContext } from "../context.ts";
import { normalizeIdentifier } from "../identities.ts";
import { expectAuditClean, useTestCore } from "../testing.ts";

let clock = new Date("2026-11-25T10:00:00Z");
const world = useTestCore({ apiKey: "tly_giving_test_key", now: () => clock });
const discord = (id: string): Subject => ({ kind: "credential", identifier: normalizeIdentifier("discord-id", id) });
const ada = discord("110000000000000001");
const bob = discord("110000000000000002");
const cy = discord("110000000000000003");
let n = 0;
const ctx = (key = true): WriteContext => ({
  realmId: "default",
  initiator: { type: "discord", id: "110000000000000001" },
  via: "discord",
  idempotencyKey: key ? `discord:thank-${++n}` : undefined,
});
const points = async () => (await world.core.currency("default")).id;
const thank = (amount: number, target = bob, giverIsManager = false) =>
  world.core.thank(ctx(), { giver: ada, target, amount, giverIsManager });

beforeEach(() => {
  clock = new Date("2026-11-25T10:00:00Z");
});
afterEach(() => expectAuditClean(world.core));

describe("allowances", () => {
  it("refuses a thank while the currency has no allowance, and changes nothing", async () => {
    await expect(thank(1)).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect((await world.core.history("default", {})).items).toHaveLength(0);
  });

  it("mints thanks for the target (kind thank) from the giver's allowance, never their balance, until it runs out", async () => {
    await world.core.setAllowance("default", await points(), { amount: 5, period: "day" });
    const first = await thank(3);
    expect(first.change.balance).toBe(3n);
    expect(first.allowance).toMatchObject({ amount: 5n, used: 3n, remaining: 2n });
    expect(first.allowance?.resetsAt.toISOString()).toBe("2026-11-26T00:00:00.000Z");
    await expect(thank(3)).rejects.toMatchObject({
      code: "ALLOWANCE_EXHAUSTED",
      details: { remaining: 2n, amount: 5n, period: "day" },
    });
    await thank(2, cy);
    await expect(thank(1)).rejects.toMatchObject({ code: "ALLOWANCE_EXHAUSTED", details: { remaining: 0n } });
    const entries = (await world.core.history("default", {})).items;
    expect(entries.map((e) => [e.kind, e.delta])).toEqual([
      ["thank", 2n],
      ["thank", 3n],
    ]);
    // The giver never held points: the thanks did not come from a balance.
    expect((await world.core.balanceOf("default", ada)).balance).toBe(0n);
    const left = await world.core.allowanceLeft("default", ada);
    expect(left.allowance).toMatchObject({ remaining: 0n, used: 5n });
  });

  it("refills at the period boundary and does not roll unused allowance over", async () => {
    await world.core.setAllowance("default", await points(), { amount: 4, period: "week" });
    await thank(1);
    clock = new Date("2026-11-29T23:59:59.999Z"); // still the week that began Monday 23 Nov
    expect((await world.core.allowanceLeft("default", ada)).allowance?.remaining).toBe(3n);
    clock = new Date("2026-11-30T00:00:00Z");
    const fresh = await world.core.allowanceLeft("default", ada);
    expect(fresh.allowance).toMatchObject({ remaining: 4n, used: 0n });
    expect(fresh.allowance?.resetsAt.toISOString()).toBe("2026-12-07T00:00:00.000Z");
    await expect(thank(5)).rejects.toMatchObject({ code: "ALLOWANCE_EXHAUSTED" });
    expect((await thank(4)).allowance?.remaining).toBe(0n);
  });

  it("does not exempt managers unless the currency says so", async () => {
    const id = await points();
    await world.core.setAllowance("default", id, { amount: 1, period: "month" });
    await thank(1, bob, true);
    await expect(thank(1, bob, true)).rejects.toMatchObject({ code: "ALLOWANCE_EXHAUSTED" });
    await world.core.setAllowance("default", id, { amount: 1, period: "month", managersExempt: true });
    const exempt = await thank(10, bob, true);
    expect(exempt.allowance).toBeNull();
    await expect(thank(1, bob, false)).rejects.toMatchObject({ code: "ALLOWANCE_EXHAUSTED" });
    expect((await world.core.balanceOf("default", bob)).balance).toBe(11n);
  });

  it("replays a thank with the same key, once", async () => {
    await world.core.setAllowance("default", await points(), { amount: 5, period: "day" });
    const c = ctx();
    const first = await world.core.thank(c, { giver: ada, target: bob, amount: 2 });
    const again = await world.core.thank(c, { giver: ada, target: bob, amount: 2 });
    expect(again.replayed).toBe(true);
    expect(again.change.entryId).toBe(first.change.entryId);
    expect((await world.core.allowanceLeft("default", ada)).allowance?.remaining).toBe(3n);
  });

  it("refuses self-thanks and bad allowances by field", async () => {
    const id = await points();
    await world.core.setAllowance("default", id, { amount: 5, period: "day" });
    await expect(thank(1, ada)).rejects.toMatchObject({ code: "VALIDATION" });
    await expect(world.core.setAllowance("default", id, { amount: 0, period: "day" })).rejects.toThrow(
      /allowance.amount/,
    );
    await expect(world.core.setAllowance("default", id, { amount: 1, period: "year" as "day" })).rejects.toThrow(
      /allowance.period/,
    );
    await expect(world.core.setAllowance("default", "nope", null)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await world.core.setAllowance("default", id, null);
    expect((await world.core.allowanceLeft("default", ada)).allowance).toBeNull();
  });
});

describe("giving rules", () => {
  it("spaces gifts to the same target by giveCooldownSeconds and says when to retry", async () => {
    await world.core.setAllowance("default", await points(), { amount: 100, period: "day" });
    await world.core.setGivingRules("default", { giveCooldownSeconds: 60 });
    await thank(1);
    clock = new Date("2026-11-25T10:00:30Z");
    await expect(thank(1)).rejects.toMatchObject({
      code: "TOO_SOON",
      details: { rule: "giveCooldownSeconds", retryAt: new Date("2026-11-25T10:01:00Z") },
    });
    await thank(1, cy); // another target is fine
    clock = new Date("2026-11-25T10:01:00Z");
    await thank(1);
    expect((await world.core.allowanceLeft("default", ada)).allowance?.used).toBe(3n);
  });

  it("caps what one giver gives one target per day, refusing until the next day", async () => {
    await world.core.setAllowance("default", await points(), { amount: 100, period: "day" });
    await world.core.setGivingRules("default", { dailyCapPerTarget: 3 });
    await thank(2);
    await expect(thank(2)).rejects.toMatchObject({
      code: "TOO_SOON",
      details: { rule: "dailyCapPerTarget", retryAt: new Date("2026-11-26T00:00:00Z") },
    });
    await thank(1);
    // A refused gift drew nothing from the allowance.
    expect((await world.core.allowanceLeft("default", ada)).allowance?.used).toBe(3n);
    clock = new Date("2026-11-26T00:00:01Z");
    await thank(3);
  });

  it("refuses gifts to accounts younger than minAccountAgeMinutes", async () => {
    await world.core.setAllowance("default", await points(), { amount: 100, period: "day" });
    await world.core.setGivingRules("default", { minAccountAgeMinutes: 30 });
    const joined = new Date("2026-11-25T09:50:00Z");
    await expect(
      world.core.thank(ctx(), { giver: ada, target: bob, amount: 1, targetJoinedAt: joined }),
    ).rejects.toMatchObject({ code: "TOO_SOON", details: { retryAt: new Date("2026-11-25T10:20:00Z") } });
    clock = new Date("2026-11-25T10:20:00Z");
    await world.core.thank(ctx(), { giver: ada, target: bob, amount: 1, targetJoinedAt: joined });
    await expect(world.core.setGivingRules("default", { giveCooldownSeconds: -1 })).rejects.toThrow(
      /giveCooldownSeconds/,
    );
  });
});
