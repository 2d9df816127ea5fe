import { type BalanceService, createBalanceService } from "@tally/core";
import { openTestDatabase, type TestDatabase } from "@tally/db/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { discordSubject, type GatewayFixture, startGatewayFixture } from "../discord/gateway-fixture.ts";
import { GUILD_ID, MANAGE_GUILD, type MemberFixture, pointsInteraction } from "../discord/interactions.ts";

const EPHEMERAL = 64;
const mod: MemberFixture = { id: "930000000000000001", username: "mod", permissions: MANAGE_GUILD | (1n << 11n) };
const ada: MemberFixture = { id: "930000000000000002", username: "ada" };
const bob: MemberFixture = { id: "930000000000000003", username: "bob" };
const robot = { id: "930000000000000009", username: "otherbot", bot: true };

let t: TestDatabase;
let core: BalanceService;
let bot: GatewayFixture;

beforeAll(async () => {
  t = await openTestDatabase();
  core = createBalanceService(t.db);
  await core.ensureBootstrap({ apiKey: "tly_discord_gateway_test" });
  bot = await startGatewayFixture(core);
});
afterAll(async () => {
  await bot?.stop();
  await t?.close();
});
beforeEach(async () => {
  await t.reset();
  await core.ensureBootstrap({ apiKey: "tly_discord_gateway_test" });
  bot.errors.length = 0;
});

const balance = async (id: string, realmId = "default") => (await core.balanceOf(realmId, discordSubject(id))).balance;
const entries = async (realmId = "default") => (await core.history(realmId, { limit: 100 })).items;
const embed = (callback: { body: { data: { embeds: { title: string; description?: string }[] } } }) =>
  callback.body.data.embeds[0] ?? { title: "", description: "" };

describe("discord.js over the local gateway", () => {
  it("logs in with the Guilds and GuildMessageReactions intents only, finding the gateway through GET /gateway/bot", () => {
    expect(bot.discord.identifies).toHaveLength(1);
    // No privileged intent (members, presences, message content): reactions as points need only 1 << 10.
    expect(bot.discord.identifies[0]?.intents).toBe(1 | (1 << 10));
    expect(bot.discord.requests.some((r) => r.method === "GET" && r.path === "/api/v10/gateway/bot")).toBe(true);
  });

  it("gives: a public embed naming giver, target, amount, reason and new balance; the ledger says via discord", async () => {
    const interaction = pointsInteraction(mod, "give", { user: ada, amount: 25, reason: "helped in #support" });
    const callback = await bot.send(interaction);
    expect(callback.method).toBe("POST");
    expect(callback.body.type).toBe(4);
    expect(callback.body.data.flags ?? 0).toBe(0);
    const shown = embed(callback);
    expect(shown.title).toBe("Points given");
    expect(shown.description).toContain(`<@${mod.id}> gave 25 points to <@${ada.id}> for "helped in #support"`);
    expect(shown.description).toContain("**25 points**");
    expect(callback.body.data.allowed_mentions).toEqual({ parse: [] });
    expect(await balance(ada.id)).toBe(25n);
    const [entry] = await entries();
    expect(entry).toMatchObject({
      initiatorType: "discord",
      initiatorId: mod.id,
      via: "discord",
      idempotencyKey: `discord:${interaction.id}`,
    });
  });

  it("takes, and refuses an overdraft privately with the most that can be taken", async () => {
    await bot.send(pointsInteraction(mod, "give", { user: ada, amount: 10 }));
    const took = await bot.send(pointsInteraction(mod, "take", { user: ada, amount: 4, reason: "typo" }));
    expect(embed(took).title).toBe("Points taken");
    expect(embed(took).description).toContain("**6 points**");
    const refused = await bot.send(pointsInteraction(mod, "take", { user: ada, amount: 7 }));
    expect(refused.body.data.flags).toBe(EPHEMERAL);
    expect(embed(refused).title).toBe("Not enough points");
    expect(embed(refused).description).toContain("at most 6 points");
    expect(await balance(ada.id)).toBe(6n);
    expect(await entries()).toHaveLength(2);
  });

  it("refuses give and take from a member without Manage Server, and lets a configured manager role in", async () => {
    const refused = await bot.send(pointsInteraction(ada, "give", { user: bob, amount: 5 }));
    expect(refused.body.data.flags).toBe(EPHEMERAL);
    expect(embed(refused).title).toBe("Only managers can do that");
    expect(embed(refused).description).toContain("Manage Server");
    expect(await entries()).toHaveLength(0);

    const role = "930000000000000100";
    await core.bindBot({
      platform: "discord",
      externalId: GUILD_ID,
      realmId: "default",
      settings: { managerRoleIds: [role] },
    });
    const allowed = await bot.send(pointsInteraction({ ...ada, roles: [role] }, "give", { user: bob, amount: 5 }));
    expect(embed(allowed).title).toBe("Points given");
    expect(await balance(bob.id)).toBe(5n);
  });

  it("uses the realm the guild is bound to", async () => {
    await core.createRealm({ id: "guild-realm", name: "Guild realm" });
    await core.bindBot({ platform: "discord", externalId: GUILD_ID, realmId: "guild-realm" });
    await bot.send(pointsInteraction(mod, "give", { user: ada, amount: 3 }));
    expect(await balance(ada.id, "guild-realm")).toBe(3n);
    expect(await entries("default")).toHaveLength(0);
  });

  it("refuses self-gifts and bots as targets, privately, changing nothing", async () => {
    const self = await bot.send(pointsInteraction(mod, "give", { user: mod, amount: 5 }));
    expect(self.body.data.flags).toBe(EPHEMERAL);
    expect(embed(self).title).toBe("You cannot give points to yourself");
    const toBot = await bot.send(pointsInteraction(mod, "give", { user: robot, amount: 5 }));
    expect(toBot.body.data.flags).toBe(EPHEMERAL);
    expect(embed(toBot).title).toBe("Bots cannot hold points");
    expect(await entries()).toHaveLength(0);
  });

  it("applies a redelivered interaction (same id) once", async () => {
    const interaction = pointsInteraction(mod, "give", { user: ada, amount: 7 });
    const first = await bot.send(interaction);
    const second = await bot.send(interaction, 2);
    expect(embed(second).description).toContain("already applied");
    expect(embed(first).description).toContain("**7 points**");
    expect(bot.discord.callbacks(String(interaction.id))).toHaveLength(2);
    expect(await balance(ada.id)).toBe(7n);
    expect(await entries()).toHaveLength(1);
  });

  it("tips the invoker's own points atomically", async () => {
    await bot.send(pointsInteraction(mod, "give", { user: ada, amount: 10 }));
    const tip = await bot.send(pointsInteraction(ada, "tip", { user: bob, amount: 3, reason: "thanks!" }));
    expect(tip.body.data.flags ?? 0).toBe(0);
    expect(embed(tip).title).toBe("Tip sent");
    expect(embed(tip).description).toContain(`<@${ada.id}> tipped <@${bob.id}> 3 points for "thanks!"`);
    expect([await balance(ada.id), await balance(bob.id)]).toEqual([7n, 3n]);
    const tooMuch = await bot.send(pointsInteraction(ada, "tip", { user: bob, amount: 8 }));
    expect(tooMuch.body.data.flags).toBe(EPHEMERAL);
    expect(embed(tooMuch).description).toContain("You have only 7 points");
    expect([await balance(ada.id), await balance(bob.id)]).toEqual([7n, 3n]);
  });

  it("speaks proper English: 1 point, 1 coin, and You have no points yet", async () => {
    const nothing = await bot.send(pointsInteraction(ada, "tip", { user: bob, amount: 1 }));
    expect(embed(nothing).description).toBe("You have no points yet, so there is nothing to tip.");
    const one = await bot.send(pointsInteraction(mod, "give", { user: ada, amount: 1, reason: "first" }));
    expect(embed(one).description).toBe(
      `<@${mod.id}> gave 1 point to <@${ada.id}> for "first".\nNew balance of <@${ada.id}>: **1 point**.`,
    );
    const coins = await core.createCurrency("default", { name: "coins" });
    const coin = await bot.send(pointsInteraction(mod, "give", { user: bob, amount: 1, currency: coins.id }));
    expect(embed(coin).description).toContain(`gave 1 coin to <@${bob.id}>`);
    const board = await bot.send(pointsInteraction(ada, "leaderboard"));
    expect(embed(board).description).toBe(`1. <@${ada.id}> — **1 point**`);
  });

  it("shows balance, leaderboard and history", async () => {
    const zero = await bot.send(pointsInteraction(bob, "balance"));
    expect(embed(zero).description).toBe(`<@${bob.id}> has **0 points**.`);
    await bot.send(pointsInteraction(mod, "give", { user: ada, amount: 12, reason: "launch" }));
    await bot.send(pointsInteraction(mod, "give", { user: bob, amount: 30 }));
    const board = await bot.send(pointsInteraction(ada, "leaderboard"));
    expect(embed(board).description).toBe(`1. <@${bob.id}> — **30 points**\n2. <@${ada.id}> — **12 points**`);
    const someone = await bot.send(pointsInteraction(bob, "balance", { user: ada }));
    expect(embed(someone).description).toBe(`<@${ada.id}> has **12 points**.`);
    const history = await bot.send(pointsInteraction(ada, "history"));
    expect(history.body.data.flags).toBe(EPHEMERAL);
    expect(embed(history).description).toContain('**+12** points · "launch" · by <@930000000000000001> · balance 12');
  });

  it("undo: a manager reverses their last give publicly, a named entry once, and refusals stay private", async () => {
    await bot.send(pointsInteraction(mod, "give", { user: ada, amount: 9, reason: "oops" }));
    const [gift] = await entries();
    const undone = await bot.send(pointsInteraction(mod, "undo"));
    expect(undone.body.data.flags ?? 0).toBe(0);
    expect(embed(undone).title).toBe("Change undone");
    expect(embed(undone).description).toContain(`<@${mod.id}> undid entry #${gift?.id}, your give of 9 points from`);
    expect(embed(undone).description).toContain("is now **0 points**");
    expect(await balance(ada.id)).toBe(0n);

    const twice = await bot.send(pointsInteraction(mod, "undo", { entry: `#${gift?.id}` }));
    expect(twice.body.data.flags).toBe(EPHEMERAL);
    expect(embed(twice).title).toBe("Already undone");
    const unknown = await bot.send(pointsInteraction(mod, "undo", { entry: "424242" }));
    expect([unknown.body.data.flags, embed(unknown).title]).toEqual([EPHEMERAL, "No such entry"]);
    const bad = await bot.send(pointsInteraction(mod, "undo", { entry: "latest" }));
    expect([bad.body.data.flags, embed(bad).title]).toEqual([EPHEMERAL, "That command did not work"]);
    const notManager = await bot.send(pointsInteraction(ada, "undo"));
    expect([notManager.body.data.flags, embed(notManager).title]).toEqual([EPHEMERAL, "Only managers can do that"]);

    await bot.send(pointsInteraction(mod, "give", { user: ada, amount: 5 }));
    const [second] = await entries();
    await bot.send(pointsInteraction(ada, "tip", { user: bob, amount: 4 }));
    const spent = await bot.send(pointsInteraction(mod, "undo", { entry: String(second?.id) }));
    expect([spent.body.data.flags, embed(spent).title]).toEqual([EPHEMERAL, "Cannot undo that"]);
    expect([await balance(ada.id), await balance(bob.id)]).toEqual([1n, 4n]);
    expect(await entries()).toHaveLength(5);
    expect(bot.errors).toEqual([]);
  });

  it("answers help privately, and /points outside a server with the reason", async () => {
    const help = await bot.send(pointsInteraction(ada, "help"));
    expect(help.body.data.flags).toBe(EPHEMERAL);
    expect(embed(help).description).toContain("/points give @member <amount> [reason]");
    const dm = await bot.send(pointsInteraction(ada, "balance", {}, { guildId: null }));
    expect(embed(dm).title).toBe("Use /points in a server");
  });

  it("refuses an unknown currency and suggests currencies while typing", async () => {
    const unknown = await bot.send(pointsInteraction(mod, "give", { user: ada, amount: 1, currency: "gems" }));
    expect(embed(unknown).description).toContain('No realm point (currency) "gems"');
    const gems = await core.createCurrency("default", { name: "gems", emoji: "💎" });
    const given = await bot.send(pointsInteraction(mod, "give", { user: ada, amount: 2, currency: gems.id }));
    expect(embed(given).description).toContain("2 💎 gems");
    const suggest = await bot.send(
      pointsInteraction(mod, "give", { user: ada, amount: 1, currency: "ge" }, { type: 4, focused: "currency" }),
    );
    expect(suggest.body).toEqual({ type: 8, data: { choices: [{ name: "💎 gems", value: gems.id }] } });
    expect(bot.errors).toEqual([]);
  });
});

describe("when the work outlasts Discord's window", () => {
  let slow: GatewayFixture;
  beforeAll(async () => {
    slow = await startGatewayFixture(core, { deferAfterMs: 0 });
  });
  afterAll(() => slow?.stop());

  it("defers, then edits the original response for a public reply", async () => {
    const interaction = pointsInteraction(mod, "give", { user: ada, amount: 4 });
    const deferred = await slow.send(interaction);
    expect(deferred.body.type).toBe(5);
    const edit = await slow.discord.waitFor(
      (r) => r.method === "PATCH" && r.path.endsWith(`/${interaction.token}/messages/@original`),
    );
    expect(edit.rawPath).toContain("%40original");
    expect(edit.body.embeds[0].title).toBe("Points given");
    expect(await balance(ada.id)).toBe(4n);
  });

  it("defers, then swaps in an ephemeral follow-up for a private reply", async () => {
    const interaction = pointsInteraction(ada, "give", { user: bob, amount: 4 });
    await slow.send(interaction);
    const followUp = await slow.discord.waitFor((r) => r.method === "POST" && r.path.endsWith(`/${interaction.token}`));
    expect(followUp.body.flags).toBe(EPHEMERAL);
    expect(followUp.body.embeds[0].title).toBe("Only managers can do that");
    expect(
      slow.discord.requests.some(
        (r) => r.method === "DELETE" && r.path.endsWith(`/${interaction.token}/messages/@original`),
      ),
    ).toBe(true);
  });
});
