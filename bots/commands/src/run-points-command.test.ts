import { normalizeIdentifier, type Subject } from "@tally/core";
import { useTestCore } from "@tally/core/testing";
import { describe, expect, it } from "vitest";
import type { Invocation, PointsCommand, Target } from "./contract.ts";
import { runPointsCommand } from "./run-points-command.ts";

const MOD = "200000000000000001";
const ADA = "200000000000000002";
const BOB = "200000000000000003";

let seq = 0;

const world = useTestCore({ apiKey: "tly_bot_commands_test_key" });

const member = (id: string): Target => ({ kind: "member", platform: "discord", id });
const discordId = (id: string): Subject => ({ kind: "credential", identifier: normalizeIdentifier("discord-id", id) });

function run(command: PointsCommand, options: { as?: string; manager?: boolean; key?: string } = {}) {
  const inv: Invocation = {
    platform: "discord",
    realmId: "default",
    invoker: { id: options.as ?? MOD, isManager: options.manager ?? true },
    idempotencyKey: options.key ?? `discord:test-${++seq}`,
    command,
  };
  return runPointsCommand(world.core, inv);
}

const balance = async (id: string) => (await world.core.balanceOf("default", discordId(id))).balance;
const ledger = async () => (await world.core.history("default", { limit: 100 })).items;
const entries = async () => (await ledger()).length;

describe("give and take", () => {
  it("gives to a member never seen before and says who, how much, why and the new balance", async () => {
    const reply = await run({ name: "give", target: member(ADA), amount: 25, reason: "great answer" });
    expect(reply.visibility).toBe("public");
    expect(reply.kind).toBe("success");
    const text = reply.lines.join("\n");
    expect(text).toContain(`<@${MOD}> gave 25 points to <@${ADA}> for "great answer"`);
    expect(text).toContain("New balance of");
    expect(reply.fields).toContainEqual({ name: "New balance", value: "25 points" });
    expect(await balance(ADA)).toBe(25n);
    const [entry] = await ledger();
    expect(entry).toMatchObject({
      initiatorType: "discord",
      initiatorId: MOD,
      via: "discord",
      description: "great answer",
    });
  });

  it("takes, and refuses to overdraw with the largest amount that would work", async () => {
    await run({ name: "give", target: member(ADA), amount: 10 });
    const taken = await run({ name: "take", target: member(ADA), amount: 4 });
    expect(taken.fields).toContainEqual({ name: "New balance", value: "6 points" });
    const refused = await run({ name: "take", target: member(ADA), amount: 7 });
    expect(refused).toMatchObject({ visibility: "ephemeral", kind: "error", title: "Not enough points" });
    expect(refused.lines.join(" ")).toContain("at most 6 points");
    expect(await balance(ADA)).toBe(6n);
  });

  it("explains that there is nothing to take from someone never credited", async () => {
    const reply = await run({ name: "take", target: member(BOB), amount: 1 });
    expect(reply).toMatchObject({ visibility: "ephemeral", title: "Nothing to take" });
    expect(await entries()).toBe(0);
  });

  it("refuses non-managers and self-gifts, changing nothing", async () => {
    expect((await run({ name: "give", target: member(BOB), amount: 5 }, { as: ADA, manager: false })).title).toBe(
      "Only managers can do that",
    );
    expect((await run({ name: "give", target: member(MOD), amount: 5 })).title).toBe(
      "You cannot give points to yourself",
    );
    expect((await run({ name: "give", target: { kind: "discord", id: MOD }, amount: 5 })).title).toBe(
      "You cannot give points to yourself",
    );
    expect(await entries()).toBe(0);
  });

  it("refuses a self-gift through an email linked to the giver's own account", async () => {
    const user = await world.core.createUser(
      { realmId: "default", initiator: { type: "cli", id: "t" }, via: "cli" },
      { email: "mod@example.com" },
    );
    await world.core.link(
      { realmId: "default", initiator: { type: "cli", id: "t" }, via: "cli" },
      normalizeIdentifier("discord-id", MOD),
      { accountId: user.id },
    );
    const reply = await run({ name: "give", target: { kind: "email", address: "MOD@example.com" }, amount: 5 });
    expect(reply.title).toBe("You cannot give points to yourself");
    expect(await entries()).toBe(0);
  });

  it("applies a redelivered command once and says so", async () => {
    const first = await run({ name: "give", target: member(ADA), amount: 3 }, { key: "discord:again" });
    const second = await run({ name: "give", target: member(ADA), amount: 3 }, { key: "discord:again" });
    expect(second.fields).toEqual(first.fields);
    expect(second.lines.join(" ")).toContain("already applied");
    expect(await balance(ADA)).toBe(3n);
    expect(await entries()).toBe(1);
  });

  it("credits email and user targets, and reports an unknown user_id with the fix", async () => {
    await run({ name: "give", target: { kind: "email", address: "ada@example.com" }, amount: 2 });
    await world.core.createUser(
      { realmId: "default", initiator: { type: "cli", id: "t" }, via: "cli" },
      { userId: "u-9" },
    );
    const toUser = await run({ name: "give", target: { kind: "user", userId: "u-9" }, amount: 4 });
    expect(toUser.lines.join(" ")).toContain("user:u-9");
    expect((await world.core.balanceOf("default", { kind: "user", userId: "u-9" })).balance).toBe(4n);
    const unknown = await run({ name: "give", target: { kind: "user", userId: "nobody" }, amount: 4 });
    expect(unknown).toMatchObject({ visibility: "ephemeral", title: "No such user" });
    expect(unknown.lines.join(" ")).toContain("POST /users");
  });

  it("reports an unknown currency and a bad discord id with what to do instead", async () => {
    const currency = await run({ name: "give", target: member(ADA), amount: 1, currencyId: "gems" });
    expect(currency).toMatchObject({ visibility: "ephemeral", title: "Not found" });
    expect(currency.lines.join(" ")).toContain("gems");
    const bad = await run({ name: "give", target: { kind: "discord", id: "123" }, amount: 1 });
    expect(bad).toMatchObject({ visibility: "ephemeral", kind: "error" });
    expect(bad.lines.join(" ")).toContain("17 to 20 digits");
    expect(await entries()).toBe(0);
  });

  it("says 1 point, not 1 points, and names a currency of coins in the singular for one", async () => {
    const one = await run({ name: "give", target: member(ADA), amount: 1, reason: "first" });
    expect(one.lines[0]).toBe(`<@${MOD}> gave 1 point to <@${ADA}> for "first".`);
    expect(one.fields).toContainEqual({ name: "New balance", value: "1 point" });
    const coins = await world.core.createCurrency("default", { name: "coins", emoji: "🪙" });
    const coin = await run({ name: "give", target: member(ADA), amount: 1, currencyId: coins.id });
    expect(coin.lines[0]).toBe(`<@${MOD}> gave 1 🪙 coin to <@${ADA}>.`);
    const taken = await run({ name: "take", target: member(ADA), amount: 2, currencyId: coins.id });
    expect(taken.lines.join(" ")).toContain("has only 1 🪙 coin.");
    const history = await run({ name: "history", target: member(ADA) });
    expect(history.lines.filter((line) => /\*\*\+1\*\* (point|coin) ·/.test(line))).toHaveLength(2);
  });

  it("says who has nothing to take, in the currency asked about", async () => {
    const gems = await world.core.createCurrency("default", { name: "gems" });
    const reply = await run({ name: "take", target: member(BOB), amount: 1, currencyId: gems.id });
    expect(reply.lines[0]).toBe(
      `<@${BOB}> has no gems yet, so there is nothing to take. Check with \`/points balance\`.`,
    );
  });

  it("uses another currency when asked, with its scale", async () => {
    const gems = await world.core.createCurrency("default", { name: "gems", scale: 2 });
    const reply = await run({ name: "give", target: member(ADA), amount: 1.5, currencyId: gems.id });
    expect(reply.fields).toContainEqual({ name: "New balance", value: "1.50 gems" });
    const tooFine = await run({ name: "give", target: member(ADA), amount: 1.555, currencyId: gems.id });
    expect(tooFine.title).toBe("That amount does not work");
  });
});

describe("tip", () => {
  it("moves the tipper's own points and shows both balances", async () => {
    await run({ name: "give", target: member(ADA), amount: 10 });
    const reply = await run(
      { name: "tip", target: member(BOB), amount: 4, reason: "thanks" },
      { as: ADA, manager: false },
    );
    expect(reply).toMatchObject({ visibility: "public", kind: "success", title: "Tip sent" });
    expect(reply.lines.join(" ")).toContain(`<@${ADA}> tipped <@${BOB}> 4 points for "thanks"`);
    expect(reply.fields).toContainEqual({ name: "New balance", value: "4 points" });
    expect(reply.fields).toContainEqual({ name: "Tipper's balance", value: "6 points" });
    expect([await balance(ADA), await balance(BOB)]).toEqual([6n, 4n]);
  });

  it("refuses self-tips, tips beyond the balance and tips from someone with nothing", async () => {
    await run({ name: "give", target: member(ADA), amount: 3 });
    expect((await run({ name: "tip", target: member(ADA), amount: 1 }, { as: ADA })).title).toBe(
      "You cannot tip yourself",
    );
    const over = await run({ name: "tip", target: member(BOB), amount: 5 }, { as: ADA });
    expect(over.title).toBe("Not enough points");
    expect(over.lines.join(" ")).toContain("You have only 3 points");
    const nothing = await run({ name: "tip", target: member(ADA), amount: 1 }, { as: BOB });
    expect(nothing.title).toBe("Nothing to tip yet");
    expect(nothing.lines).toEqual(["You have no points yet, so there is nothing to tip."]);
    expect([await balance(ADA), await entries()]).toEqual([3n, 1]);
  });
});

describe("reading", () => {
  it("shows 0 for a member never credited, and a balance once they have one", async () => {
    const none = await run({ name: "balance" }, { as: BOB, manager: false });
    expect(none.lines.join(" ")).toContain(`<@${BOB}> has **0 points**`);
    await run({ name: "give", target: member(ADA), amount: 7 });
    const some = await run({ name: "balance", target: member(ADA) }, { as: BOB });
    expect(some.fields).toEqual([{ name: "Balance", value: "7 points" }]);
  });

  it("ranks holders with mentions and says so when nobody holds any", async () => {
    expect((await run({ name: "leaderboard" })).lines).toEqual([
      "Nobody holds any yet. Managers can start with `/points give`.",
    ]);
    await run({ name: "give", target: member(ADA), amount: 7 });
    await run({ name: "give", target: member(BOB), amount: 9 });
    await run({ name: "give", target: { kind: "email", address: "cy@example.com" }, amount: 1 });
    const board = await run({ name: "leaderboard" });
    expect(board.lines).toEqual([
      `1. <@${BOB}> — **9 points**`,
      `2. <@${ADA}> — **7 points**`,
      "3. email:cy@example.com — **1 point**",
    ]);
  });

  it("lists a member's history newest first, privately", async () => {
    await run({ name: "give", target: member(ADA), amount: 7, reason: "welcome" });
    await run({ name: "take", target: member(ADA), amount: 2 });
    const reply = await run({ name: "history" }, { as: ADA, manager: false });
    expect(reply.visibility).toBe("ephemeral");
    expect(reply.lines).toHaveLength(3);
    expect(reply.lines[1]).toMatch(/\*\*-2\*\* points · by <@200000000000000001> · balance 5$/);
    expect(reply.lines[2]).toContain('**+7** points · "welcome"');
    const empty = await run({ name: "history", target: member(BOB) });
    expect(empty.lines).toEqual([`<@${BOB}> has no points history yet.`]);
  });

  it("answers help privately", async () => {
    const reply = await run({ name: "help" }, { manager: false });
    expect(reply).toMatchObject({ visibility: "ephemeral", kind: "info" });
    expect(reply.lines.join("\n")).toContain("/points tip");
  });
});

describe("undo", () => {
  const idOf = (reply: { fields?: { name: string; value: string }[] }, name: string) =>
    reply.fields?.find((f) => f.name === name)?.value.replace("#", "");

  it("undoes the manager's own last give, says which, and then the one before it", async () => {
    await run({ name: "give", target: member(ADA), amount: 7, reason: "first" });
    await run({ name: "give", target: member(BOB), amount: 5, reason: "second" });
    const [newest] = await ledger();
    const undone = await run({ name: "undo" });
    expect(undone).toMatchObject({ visibility: "public", kind: "success", title: "Change undone" });
    expect(undone.lines[0]).toMatch(
      new RegExp(
        `^<@${MOD}> undid entry #${newest?.id}, your give of 5 points from \\d{4}-\\d\\d-\\d\\d for "second"\\.$`,
      ),
    );
    expect(undone.lines[1]).toBe("The balance it changed moved by -5 points and is now **0 points**.");
    expect([await balance(ADA), await balance(BOB)]).toEqual([7n, 0n]);
    const before = await run({ name: "undo" });
    expect(before.lines[0]).toContain("your give of 7 points from");
    expect([await balance(ADA), await balance(BOB)]).toEqual([0n, 0n]);
    const nothing = await run({ name: "undo" });
    expect(nothing).toMatchObject({ visibility: "ephemeral", title: "Nothing to undo" });
    expect(await entries()).toBe(4);
  });

  it("undoes a named entry of anyone's once, and says so privately the second time", async () => {
    const given = await run({ name: "give", target: member(ADA), amount: 4 }, { as: BOB });
    const [entry] = await ledger();
    expect(given.title).toBe("Points given");
    const undone = await run({ name: "undo", entryId: String(entry?.id) });
    expect(undone.lines[0]).toBe(`<@${MOD}> undid entry #${entry?.id}.`);
    expect(idOf(undone, "Entry")).toBe(String(entry?.id));
    const again = await run({ name: "undo", entryId: String(entry?.id) });
    expect(again).toMatchObject({ visibility: "ephemeral", kind: "error", title: "Already undone" });
    expect(again.lines.join(" ")).toContain(`by entry ${idOf(undone, "Undone by")}`);
    expect(await balance(ADA)).toBe(0n);
    const history = await run({ name: "history", target: member(ADA) });
    expect(history.lines[1]).toMatch(new RegExp(`^#\\d+ .* \\*\\*-4\\*\\* points · undo of #${entry?.id} · `));
    expect(history.lines[2]).toMatch(new RegExp(`^#${entry?.id} .* · undone by #${idOf(undone, "Undone by")}$`));
  });

  it("undoes a tip whole, both sides", async () => {
    await run({ name: "give", target: member(ADA), amount: 10 });
    await run({ name: "tip", target: member(BOB), amount: 3 }, { as: ADA, manager: false });
    const [tipLeg] = await ledger();
    const undone = await run({ name: "undo", entryId: String(tipLeg?.id) });
    expect(undone.lines).toContain("Both sides of the tip were reversed.");
    expect([await balance(ADA), await balance(BOB)]).toEqual([10n, 0n]);
  });

  it("refuses non-managers, unknown ids, spent points and reversals, privately, changing nothing", async () => {
    await run({ name: "give", target: member(ADA), amount: 5 });
    const [gift] = await ledger();
    const member_ = await run({ name: "undo", entryId: String(gift?.id) }, { as: ADA, manager: false });
    expect(member_).toMatchObject({ visibility: "ephemeral", title: "Only managers can do that" });
    expect(member_.lines.join(" ")).toContain("/points undo");
    const unknown = await run({ name: "undo", entryId: "999999" });
    expect(unknown).toMatchObject({ visibility: "ephemeral", title: "No such entry" });
    expect(unknown.lines.join(" ")).toContain("/points history");
    await run({ name: "tip", target: member(BOB), amount: 4 }, { as: ADA, manager: false });
    const spent = await run({ name: "undo", entryId: String(gift?.id) });
    expect(spent).toMatchObject({ visibility: "ephemeral", title: "Cannot undo that" });
    expect(spent.lines.join(" ")).toContain("below zero");
    expect([await balance(ADA), await balance(BOB), await entries()]).toEqual([1n, 4n, 3]);
  });

  it("applies a redelivered undo once: a named entry replays, a bare one never undoes a second entry", async () => {
    await run({ name: "give", target: member(ADA), amount: 6 });
    await run({ name: "give", target: member(BOB), amount: 2 });
    const first = await run({ name: "undo" }, { key: "discord:undo-again" });
    expect(first.title).toBe("Change undone");
    const again = await run({ name: "undo" }, { key: "discord:undo-again" });
    expect(again).toMatchObject({ visibility: "ephemeral", kind: "error" });
    expect([await balance(ADA), await balance(BOB), await entries()]).toEqual([6n, 0n, 3]);
    const [, , gift] = await ledger();
    const named = await run({ name: "undo", entryId: String(gift?.id) }, { key: "discord:undo-named" });
    const replay = await run({ name: "undo", entryId: String(gift?.id) }, { key: "discord:undo-named" });
    expect(replay.lines.join(" ")).toContain("already applied");
    expect(replay.fields).toEqual(named.fields);
    expect([await balance(ADA), await entries()]).toEqual([0n, 4]);
  });
});
