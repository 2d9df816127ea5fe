import { randomUUID } from "node:crypto";
import type { SlackApp } from "@tally/slack-bot";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { discordSubject, type GatewayFixture, startGatewayFixture } from "../discord/gateway-fixture.ts";
import { type MemberFixture, pointsInteraction } from "../discord/interactions.ts";
import type { Harness } from "../harness.ts";
import { people, SIGNING_SECRET, slackSubject } from "../slack/fixtures.ts";
import type { LocalSlack } from "../slack/local-slack.ts";
import { startSlackHarness } from "../slack/slack-harness.ts";
import { postSlashCommand } from "../slack/slash-command.ts";

const EPHEMERAL = 64;
const ada: MemberFixture = { id: "940000000000000001", username: "ada" };
const bob: MemberFixture = { id: "940000000000000002", username: "bob" };
const mod: MemberFixture = { id: "940000000000000003", username: "mod", permissions: 1n << 5n };

let clock = new Date("2026-11-25T10:00:00Z");
let h: Harness;
let discord: GatewayFixture;
let slack: LocalSlack;
let slackBot: SlackApp;

beforeAll(async () => {
  ({ h, slack, bot: slackBot } = await startSlackHarness({ harness: { now: () => clock } }));
  discord = await startGatewayFixture(h.core);
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
});

const setAllowance = async (allowance: unknown) => {
  const id = (await h.core.currency("default")).id;
  const res = await h.call("PATCH", `/api/v1/realms/default/currencies/${id}`, { body: { allowance } });
  expect(res.status).toBe(200);
  return res.body;
};
const embed = (callback: { body: { data: { embeds: { title: string; description?: string }[] } } }) =>
  callback.body.data.embeds[0] ?? { title: "", description: "" };

describe("/points thank and /points allowance on Discord (gateway)", () => {
  it("mints from the giver's allowance, refuses past it privately, and refills at the period boundary", async () => {
    await setAllowance({ amount: 3, period: "day" });
    const given = await discord.send(pointsInteraction(ada, "thank", { user: bob, amount: 2, reason: "the review" }));
    expect(given.body.data.flags ?? 0).toBe(0);
    expect(embed(given).title).toBe("Thanks given");
    expect(embed(given).description).toContain(`<@${ada.id}> thanked <@${bob.id}> with 2 points for "the review"`);
    expect(embed(given).description).toContain("1 point of 3 points left to give this day");
    expect((await h.core.balanceOf("default", discordSubject(bob.id))).balance).toBe(2n);
    const [entry] = (await h.core.history("default", {})).items;
    expect(entry).toMatchObject({ kind: "thank", initiatorId: ada.id, via: "discord" });

    const refused = await discord.send(pointsInteraction(ada, "thank", { user: bob, amount: 2 }));
    expect(refused.body.data.flags).toBe(EPHEMERAL);
    expect(embed(refused).title).toBe("Allowance used up");
    expect(embed(refused).description).toContain("You have 1 point of your 3 points allowance left this day.");
    // Discord renders the refill moment in the reader's own time zone.
    const midnight = Date.parse("2026-11-26T00:00:00Z") / 1000;
    expect(embed(refused).description).toContain(`<t:${midnight}:f>`);

    const left = await discord.send(pointsInteraction(ada, "allowance"));
    expect(left.body.data.flags).toBe(EPHEMERAL);
    expect(embed(left).title).toBe("Your allowance");
    expect(embed(left).description).toContain("You have 1 point of 3 points left to give this day.");

    clock = new Date("2026-11-26T00:00:00Z");
    const next = await discord.send(pointsInteraction(ada, "thank", { user: bob, amount: 3 }));
    expect(embed(next).title).toBe("Thanks given");
    // No amount is one point; the allowance is spent again.
    const one = await discord.send(pointsInteraction(ada, "thank", { user: mod }));
    expect(embed(one).title).toBe("Allowance used up");
    expect((await h.core.balanceOf("default", discordSubject(bob.id))).balance).toBe(5n);
    expect((await h.core.balanceOf("default", discordSubject(ada.id))).balance).toBe(0n);
  });

  it("thanks 1 by default, refuses self-thanks, and says there is no allowance when none is set", async () => {
    const none = await discord.send(pointsInteraction(ada, "thank", { user: bob }));
    expect(embed(none).title).toBe("points has no allowance");
    await setAllowance({ amount: 5, period: "week" });
    const one = await discord.send(pointsInteraction(ada, "thank", { user: bob }));
    expect(embed(one).description).toContain("with 1 point.");
    const self = await discord.send(pointsInteraction(ada, "thank", { user: ada }));
    expect(self.body.data.flags).toBe(EPHEMERAL);
    expect(embed(self).title).toBe("You cannot thank yourself");
  });

  it("refuses with the retry time under a cooldown and for members who joined too recently", async () => {
    await setAllowance({ amount: 50, period: "day" });
    await h.core.setGivingRules("default", { giveCooldownSeconds: 120, minAccountAgeMinutes: 60 });
    await discord.send(pointsInteraction(ada, "thank", { user: bob }));
    clock = new Date("2026-11-25T10:01:00Z");
    const soon = await discord.send(pointsInteraction(ada, "thank", { user: bob }));
    expect(embed(soon).title).toBe("Not yet");
    expect(embed(soon).description).toContain(`<t:${Date.parse("2026-11-25T10:02:00Z") / 1000}:f>`);

    const newcomer = pointsInteraction(ada, "thank", { user: mod });
    const data = newcomer.data as { resolved: { members: Record<string, { joined_at: string }> } };
    (data.resolved.members[mod.id] as { joined_at: string }).joined_at = "2026-11-25T09:30:00.000Z";
    const young = await discord.send(newcomer);
    expect(embed(young).title).toBe("Not yet");
    expect(embed(young).description).toContain("joined too recently");
    expect(embed(young).description).toContain(`<t:${Date.parse("2026-11-25T10:30:00Z") / 1000}:f>`);
    expect((await h.core.history("default", {})).items).toHaveLength(1);
  });
});

describe("/points thank and /points allowance on Slack (HTTP)", () => {
  async function points(userId: string, text: string) {
    const key = randomUUID();
    const ack = await postSlashCommand(h.url, SIGNING_SECRET, {
      text,
      user_id: userId,
      response_url: slack.responseUrl(key),
    });
    expect(ack.status).toBe(200);
    const reply = await slack.waitForResponse(key);
    return { reply, text: JSON.stringify(reply.blocks) };
  }

  it("thanks with an amount and a reason, exhausts the allowance, and shows what is left", async () => {
    const { member, friend } = people;
    await setAllowance({ amount: 4, period: "week" });
    const given = await points(member.id, `thank <@${friend.id}> 3 great demo`);
    expect(given.reply.response_type).toBe("in_channel");
    expect(given.text).toContain("thanked");
    expect(given.text).toContain('with 3 points for \\"great demo\\"');
    expect((await h.core.balanceOf("default", slackSubject(friend.id))).balance).toBe(3n);

    const refused = await points(member.id, `thank <@${friend.id}> 2`);
    expect(refused.reply.response_type).toBe("ephemeral");
    expect(refused.text).toContain("Allowance used up");
    expect(refused.text).toContain("<!date^");

    const left = await points(member.id, "allowance");
    expect(left.reply.response_type).toBe("ephemeral");
    expect(left.text).toContain("You have 1 point of 4 points left to give this week.");

    const thanksForBots = await points(member.id, `thank <@${people.bot.id}>`);
    expect(thanksForBots.text).toContain("Bots cannot hold points");
    expect((await h.core.balanceOf("default", slackSubject(member.id))).balance).toBe(0n);
  });

  it("limits each member to the realm's commandsPerMinute, saying when to try again", async () => {
    const { member, friend } = people;
    await h.core.setGivingRules("default", { commandsPerMinute: 2 });
    await points(member.id, "balance");
    await points(member.id, "allowance");
    const third = await points(member.id, "balance");
    expect(third.text).toContain("Slow down");
    expect(third.text).toContain("2 /points commands a minute");
    // Others are not held back, and help never is.
    expect((await points(friend.id, "balance")).text).not.toContain("Slow down");
    expect((await points(member.id, "help")).text).not.toContain("Slow down");
    clock = new Date("2026-11-25T10:01:00Z");
    expect((await points(member.id, "balance")).text).not.toContain("Slow down");
  });
});
