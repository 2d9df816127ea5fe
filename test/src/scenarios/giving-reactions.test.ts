import type { ReactionOutcome } from "@tally/core";
import { queryRows } from "@tally/db";
import { createSlackApp, LogLevel, type SlackApp } from "@tally/slack-bot";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { discordSubject, type GatewayFixture, startGatewayFixture } from "../discord/gateway-fixture.ts";
import {
  CHANNEL_ID,
  GUILD_ID,
  type MemberFixture,
  memberRecord,
  messageId,
  reactionPayload,
} from "../discord/interactions.ts";
import { type Harness, startHarness } from "../harness.ts";
import { people, SIGNING_SECRET, slackSubject } from "../slack/fixtures.ts";
import { type LocalSlack, startLocalSlack, TEAM_ID } from "../slack/local-slack.ts";
import { postEvent, reactionEvent } from "../slack/slash-command.ts";

const ada: MemberFixture = { id: "950000000000000001", username: "ada" };
const bob: MemberFixture = { id: "950000000000000002", username: "bob" };
const cy: MemberFixture = { id: "950000000000000003", username: "cy" };
const robot = { id: "950000000000000009", username: "otherbot", bot: true };
const TACO = { name: "🌮" };

let clock = new Date("2026-11-25T10:00:00Z");
let h: Harness;
let discord: GatewayFixture;
let slack: LocalSlack;
let slackBot: SlackApp;
let slackHandler: SlackApp["handler"] | undefined;
const slackOutcomes: ReactionOutcome[] = [];
const slackWaiters: ((o: ReactionOutcome) => void)[] = [];

beforeAll(async () => {
  slack = await startLocalSlack(Object.values(people));
  h = await startHarness(
    {
      slackEvents: (request) => {
        if (!slackHandler) throw new Error("Slack handler not ready");
        return slackHandler(request);
      },
    },
    { now: () => clock },
  );
  discord = await startGatewayFixture(h.core);
  for (const m of [ada, bob, cy, robot]) discord.discord.members.set(m.id, memberRecord(m));
  slackBot = await createSlackApp({
    core: h.core,
    botToken: slack.botToken,
    signingSecret: SIGNING_SECRET,
    apiUrl: slack.apiUrl,
    logLevel: LogLevel.ERROR,
    onReaction: (outcome) => {
      const waiter = slackWaiters.shift();
      if (waiter) waiter(outcome);
      else slackOutcomes.push(outcome);
    },
  });
  slackHandler = slackBot.handler;
});
afterAll(async () => {
  await slackBot?.stop();
  await discord?.stop();
  await h?.close();
  await slack?.close();
});
beforeEach(async () => {
  clock = new Date("2026-11-25T10:00:00Z");
  await h.reset();
  slackOutcomes.length = 0;
});

const balance = async (subject: Parameters<Harness["core"]["balanceOf"]>[1]) => {
  try {
    return (await h.core.balanceOf("default", subject)).balance;
  } catch {
    return 0n;
  }
};
const entries = async () =>
  (await h.core.history("default", { limit: 100 })).items.map((e) => [e.kind, e.delta] as const).reverse();
const react = (
  event: "MESSAGE_REACTION_ADD" | "MESSAGE_REACTION_REMOVE",
  reactor: MemberFixture,
  message: { id: string; authorId: string },
  emoji: { name: string; id?: string } = TACO,
) => discord.react(event, reactionPayload(event, reactor, message, emoji));

describe("reactions as points on Discord (gateway MESSAGE_REACTION_ADD / REMOVE)", () => {
  beforeEach(async () => {
    const res = await h.call("PUT", `/api/v1/realms/default/reactions/discord/${GUILD_ID}`, {
      body: { reactions: [{ emoji: "🌮", amount: 2 }] },
    });
    expect(res.status).toBe(200);
  });

  it("asks for the GuildMessageReactions intent besides Guilds", () => {
    expect(discord.discord.identifies[0]?.intents).toBe(1 | (1 << 10));
  });

  it("gives once per (message, reactor, emoji): duplicates and add-remove-add give once, removal reverses", async () => {
    const message = { id: messageId(), authorId: bob.id };
    expect((await react("MESSAGE_REACTION_ADD", ada, message)).outcome).toBe("given");
    expect(await balance(discordSubject(bob.id))).toBe(2n);
    // Discord delivered the same event twice.
    expect((await react("MESSAGE_REACTION_ADD", ada, message)).outcome).toBe("duplicate");
    expect(await balance(discordSubject(bob.id))).toBe(2n);
    expect((await react("MESSAGE_REACTION_REMOVE", ada, message)).outcome).toBe("reversed");
    expect(await balance(discordSubject(bob.id))).toBe(0n);
    expect((await react("MESSAGE_REACTION_ADD", ada, message)).outcome).toBe("duplicate");
    expect((await react("MESSAGE_REACTION_REMOVE", ada, message)).outcome).toBe("nothing");
    expect(await balance(discordSubject(bob.id))).toBe(0n);
    expect(await entries()).toEqual([
      ["reaction", 2n],
      ["reversal", -2n],
    ]);
    // Another reactor on the same message, and another emoji that is not bound, are separate.
    expect((await react("MESSAGE_REACTION_ADD", cy, message)).outcome).toBe("given");
    expect((await react("MESSAGE_REACTION_ADD", cy, message, { name: "👍" })).outcome).toBe("nothing");
    expect(await balance(discordSubject(bob.id))).toBe(2n);
    expect(discord.errors).toEqual([]);
  });

  it("a removal sent while its add still looks the author up waits for it, and takes the gift back", async () => {
    const message = { id: messageId(), authorId: bob.id };
    const members = `/api/v10/guilds/${GUILD_ID}/members/`;
    discord.discord.slowDown(members, 200);
    try {
      const first = react("MESSAGE_REACTION_ADD", ada, message);
      const second = react("MESSAGE_REACTION_REMOVE", ada, message);
      // Outcomes in the order Tally finished them: before, the removal found nothing and the add then gave.
      expect([(await first).outcome, (await second).outcome]).toEqual(["given", "reversed"]);
    } finally {
      discord.discord.slowDown(members, 0);
    }
    expect(await balance(discordSubject(bob.id))).toBe(0n);
    expect(discord.errors).toEqual([]);
  });

  it("takes back every standing gift when a message's reactions are cleared, all or one emoji's, in this guild only", async () => {
    const rules = await h.call("PUT", `/api/v1/realms/default/reactions/discord/${GUILD_ID}`, {
      body: {
        reactions: [
          { emoji: "🌮", amount: 2 },
          { emoji: "⭐", amount: 1 },
        ],
      },
    });
    expect(rules.status).toBe(200);
    const message = { id: messageId(), authorId: bob.id };
    const other = { id: messageId(), authorId: bob.id };
    const STAR = { name: "⭐" };
    for (const [who, on, emoji] of [
      [ada, message, TACO],
      [cy, message, TACO],
      [ada, message, STAR],
      [ada, other, TACO],
    ] as const) {
      expect((await react("MESSAGE_REACTION_ADD", who, on, emoji)).outcome).toBe("given");
    }
    expect(await balance(discordSubject(bob.id))).toBe(7n);
    const cleared = (t: "MESSAGE_REACTION_REMOVE_ALL" | "MESSAGE_REACTION_REMOVE_EMOJI", emoji?: { name: string }) =>
      discord.react(t, {
        channel_id: CHANNEL_ID,
        message_id: message.id,
        guild_id: GUILD_ID,
        ...(emoji ? { emoji: { id: null, name: emoji.name } } : {}),
      });

    const tacos = await cleared("MESSAGE_REACTION_REMOVE_EMOJI", TACO);
    expect(tacos).toMatchObject({ outcome: "cleared", kept: [] });
    expect(tacos.outcome === "cleared" && tacos.reversed).toHaveLength(2);
    expect(await balance(discordSubject(bob.id))).toBe(3n);
    const all = await cleared("MESSAGE_REACTION_REMOVE_ALL");
    expect(all.outcome === "cleared" && all.reversed).toHaveLength(1);
    expect(await balance(discordSubject(bob.id))).toBe(2n); // the taco on the other message stands
    // A redelivered clear finds nothing left; the same reaction added again is still counted once ever.
    expect(await cleared("MESSAGE_REACTION_REMOVE_ALL")).toEqual({ outcome: "cleared", reversed: [], kept: [] });
    expect((await react("MESSAGE_REACTION_ADD", ada, message)).outcome).toBe("duplicate");
    expect(await balance(discordSubject(bob.id))).toBe(2n);
    const reversals = (await h.core.history("default", { limit: 100 })).items.filter((e) => e.kind === "reversal");
    expect(reversals.map((e) => e.initiatorId).sort()).toEqual([ada.id, ada.id, cy.id].sort());
    expect(discord.errors).toEqual([]);
  });

  it("gives nothing for self-reactions or reactions to a bot's message", async () => {
    expect((await react("MESSAGE_REACTION_ADD", ada, { id: messageId(), authorId: ada.id })).outcome).toBe("nothing");
    expect((await react("MESSAGE_REACTION_ADD", ada, { id: messageId(), authorId: robot.id })).outcome).toBe("nothing");
    // Nor does a bot reacting.
    expect((await react("MESSAGE_REACTION_ADD", robot, { id: messageId(), authorId: bob.id })).outcome).toBe("nothing");
    expect(await entries()).toEqual([]);
  });

  it("keeps a gift whose points were spent when the currency forbids overdraft, and records it", async () => {
    const message = { id: messageId(), authorId: bob.id };
    await react("MESSAGE_REACTION_ADD", ada, message);
    await h.core.adjust(
      { realmId: "default", initiator: { type: "cli", id: "t" }, via: "cli" },
      { subject: discordSubject(bob.id), amount: -1 },
    );
    expect((await react("MESSAGE_REACTION_REMOVE", ada, message)).outcome).toBe("kept");
    expect(await balance(discordSubject(bob.id))).toBe(1n);
    const [row] = await queryRows<{ state: string; note: string }>(h.t.db, sql`SELECT state, note FROM reaction_gifts`);
    expect(row).toEqual({ state: "kept", note: "spent before the reaction was removed" });
  });

  it("draws on the reactor's allowance and, once exhausted, DMs them once per period", async () => {
    const id = (await h.core.currency("default")).id;
    await h.core.setAllowance("default", id, { amount: 4, period: "day" });
    const before = discord.discord.directMessages(ada.id).length;
    const toBob = { id: messageId(), authorId: bob.id };
    expect((await react("MESSAGE_REACTION_ADD", ada, toBob)).outcome).toBe("given");
    expect((await react("MESSAGE_REACTION_ADD", ada, { id: messageId(), authorId: cy.id })).outcome).toBe("given");
    const refused = await react("MESSAGE_REACTION_ADD", ada, { id: messageId(), authorId: bob.id });
    expect(refused).toMatchObject({ outcome: "refused", notify: true });
    const again = await react("MESSAGE_REACTION_ADD", ada, { id: messageId(), authorId: cy.id });
    expect(again).toMatchObject({ outcome: "refused", notify: false });
    // Taking a reaction back reverses the gift but gives no allowance back.
    expect((await react("MESSAGE_REACTION_REMOVE", ada, toBob)).outcome).toBe("reversed");
    expect((await h.core.allowanceLeft("default", discordSubject(ada.id))).allowance?.remaining).toBe(0n);
    const dms = discord.discord.directMessages(ada.id);
    expect(dms).toHaveLength(before + 1);
    expect(dms.at(-1)?.body.content).toContain("Your reaction gave no points: allowance used up");
    expect(dms.at(-1)?.body.content).toContain(`<t:${Date.parse("2026-11-26T00:00:00Z") / 1000}:f>`);
    expect(await balance(discordSubject(bob.id))).toBe(0n);

    // Next day: the allowance refills, and a later exhaustion is told again.
    clock = new Date("2026-11-26T08:00:00Z");
    const message = { id: messageId(), authorId: bob.id };
    expect((await react("MESSAGE_REACTION_ADD", ada, message)).outcome).toBe("given");
    expect(await balance(discordSubject(bob.id))).toBe(2n);
  });

  it("refuses under a cooldown, telling the reactor when to retry, and gives on a later reaction", async () => {
    await h.core.setGivingRules("default", { giveCooldownSeconds: 300 });
    const before = discord.discord.directMessages(ada.id).length;
    await react("MESSAGE_REACTION_ADD", ada, { id: messageId(), authorId: bob.id });
    const second = await react("MESSAGE_REACTION_ADD", ada, { id: messageId(), authorId: bob.id });
    expect(second).toMatchObject({ outcome: "refused", error: { code: "TOO_SOON" } });
    const dms = discord.discord.directMessages(ada.id);
    expect(dms).toHaveLength(before + 1);
    expect(dms.at(-1)?.body.content).toContain("Your reaction gave no points: not yet");
    expect(dms.at(-1)?.body.content).toContain(`<t:${Date.parse("2026-11-25T10:05:00Z") / 1000}:f>`);
    clock = new Date("2026-11-25T10:05:00Z");
    expect((await react("MESSAGE_REACTION_ADD", ada, { id: messageId(), authorId: bob.id })).outcome).toBe("given");
  });
});

describe("reactions as points on Slack (Events API at POST /slack/events)", () => {
  const { member, friend } = people;
  const nextOutcome = () =>
    new Promise<ReactionOutcome>((resolve) => {
      const queued = slackOutcomes.shift();
      if (queued) resolve(queued);
      else slackWaiters.push(resolve);
    });
  async function send(event: Record<string, unknown>): Promise<ReactionOutcome> {
    const next = nextOutcome();
    const ack = await postEvent(h.url, SIGNING_SECRET, event);
    expect(ack.status).toBe(200);
    return next;
  }
  const added = (user: string, itemUser: string, ts: string, reaction = "taco") =>
    reactionEvent("reaction_added", { user, itemUser, ts, reaction });
  const removed = (user: string, itemUser: string, ts: string, reaction = "taco") =>
    reactionEvent("reaction_removed", { user, itemUser, ts, reaction });

  beforeEach(async () => {
    await h.core.bindBot({
      platform: "slack",
      externalId: TEAM_ID,
      realmId: "default",
      settings: { reactions: [{ emoji: "taco", amount: 1 }] },
    });
  });

  it("gives once, ignores a redelivery, reverses on removal, and gives nothing on add-remove-add", async () => {
    const ts = "1764064800.000100";
    const event = added(member.id, friend.id, ts);
    expect((await send(event)).outcome).toBe("given");
    expect((await send(event)).outcome).toBe("duplicate");
    // A skin-toned variant is the same emoji.
    expect((await send(added(member.id, friend.id, ts, "taco::skin-tone-3"))).outcome).toBe("duplicate");
    expect(await balance(slackSubject(friend.id))).toBe(1n);
    expect((await send(removed(member.id, friend.id, ts))).outcome).toBe("reversed");
    expect((await send(added(member.id, friend.id, ts))).outcome).toBe("duplicate");
    expect(await balance(slackSubject(friend.id))).toBe(0n);
    expect((await send(added(member.id, member.id, "1764064800.000200"))).outcome).toBe("nothing");
    expect((await send(added(member.id, people.bot.id, "1764064800.000300"))).outcome).toBe("nothing");
    expect(await entries()).toEqual([
      ["reaction", 1n],
      ["reversal", -1n],
    ]);
  });

  it("a removal sent while its add still looks the users up waits for it, and takes the gift back", async () => {
    // Users this app has not looked up yet, so the add waits for users.info (cached for a minute after).
    const newcomer = { ...member, id: "U0RACE01", name: "newcomer" };
    const author = { ...friend, id: "U0RACE02", name: "author" };
    for (const u of [newcomer, author]) slack.users.set(u.id, u);
    const ts = "1764064800.000900";
    slack.slowDown("users.info", 200);
    try {
      const first = send(added(newcomer.id, author.id, ts));
      // The removal is sent once the add is waiting for Slack, so it arrives second.
      await expect
        .poll(() => slack.calls.some((c) => c.method === "users.info" && c.params.user === author.id))
        .toBe(true);
      const second = send(removed(newcomer.id, author.id, ts));
      // Outcomes in the order Tally finished them: before, the removal found nothing and the add then gave.
      expect([(await first).outcome, (await second).outcome]).toEqual(["given", "reversed"]);
    } finally {
      slack.slowDown("users.info", 0);
    }
    expect(await balance(slackSubject(author.id))).toBe(0n);
  });

  it("tells an exhausted reactor privately with chat.postEphemeral, once per period", async () => {
    await h.core.setAllowance("default", (await h.core.currency("default")).id, { amount: 1, period: "week" });
    expect((await send(added(member.id, friend.id, "1764064800.000400"))).outcome).toBe("given");
    expect(await send(added(member.id, friend.id, "1764064800.000500"))).toMatchObject({ notify: true });
    expect(await send(added(member.id, friend.id, "1764064800.000600"))).toMatchObject({ notify: false });
    const ephemeral = slack.calls.filter((c) => c.method === "chat.postEphemeral");
    expect(ephemeral).toHaveLength(1);
    expect(ephemeral[0]?.params).toMatchObject({ channel: "C0GENERAL", user: member.id });
    expect(String(ephemeral[0]?.params.text)).toContain("allowance used up");
    expect(slack.calls.filter((c) => c.method === "chat.postMessage")).toHaveLength(0);
  });
});
