import { randomUUID } from "node:crypto";
import type { SlackApp } from "@tally/slack-bot";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { discordSubject, type GatewayFixture, startGatewayFixture } from "../discord/gateway-fixture.ts";
import {
  GUILD_ID,
  MANAGE_GUILD,
  type MemberFixture,
  pointsInteraction,
  type RoleFixture,
} from "../discord/interactions.ts";
import type { Harness } from "../harness.ts";
import { people, SIGNING_SECRET, slackSubject } from "../slack/fixtures.ts";
import type { LocalSlack } from "../slack/local-slack.ts";
import { startSlackHarness } from "../slack/slack-harness.ts";
import { postSlashCommand } from "../slack/slash-command.ts";

// Both bots run with TALLY_BULK_MAX 3, so a group of four is over the cap.
const BULK_MAX = 3;
const EPHEMERAL = 64;
const mod: MemberFixture = { id: "960000000000000001", username: "mod", permissions: MANAGE_GUILD | (1n << 11n) };
const ada: MemberFixture = { id: "960000000000000002", username: "ada" };
const bob: MemberFixture = { id: "960000000000000003", username: "bob" };
const carl: MemberFixture = { id: "960000000000000004", username: "carl" };
const robot = { id: "960000000000000009", username: "robot", bot: true };
const mods: RoleFixture = { role: true, id: "960000000000000100", name: "Mods" };
const everyone: RoleFixture = { role: true, id: GUILD_ID, name: "@everyone" };

let h: Harness;
let slack: LocalSlack;
let slackBot: SlackApp;
let discord: GatewayFixture;

beforeAll(async () => {
  ({ h, slack, bot: slackBot } = await startSlackHarness({ app: { bulkMax: BULK_MAX } }));
  discord = await startGatewayFixture(h.core, { membersIntent: true, bulkMax: BULK_MAX });
  discord.discord.guildMembers.members.set(GUILD_ID, [
    { ...mod, roles: [mods.id] },
    { ...ada, roles: [mods.id] },
    { ...bob, roles: [mods.id, "960000000000000200"] },
    { ...robot, roles: [mods.id] },
    { ...carl, roles: [] },
  ]);
  slack.usergroups.set("S0MODS", [people.admin.id, people.member.id, people.friend.id, people.bot.id]);
  slack.usergroups.set("S0ALL", [people.admin.id, people.member.id, people.friend.id, people.owner.id]);
});
afterAll(async () => {
  await discord?.stop();
  await slackBot?.stop();
  await h?.close();
  await slack?.close();
});
beforeEach(async () => {
  await h.reset();
  discord.errors.length = 0;
  discord.discord.guildMembers.intent = true;
});

// biome-ignore lint/suspicious/noExplicitAny: replies are asserted field by field
type Json = any;

async function onSlack(userId: string, text: string, triggerId?: string): Promise<string> {
  const key = randomUUID();
  const ack = await postSlashCommand(h.url, SIGNING_SECRET, {
    text,
    user_id: userId,
    response_url: slack.responseUrl(key),
    ...(triggerId ? { trigger_id: triggerId } : {}),
  });
  expect(ack.status).toBe(200);
  expect(ack.elapsedMs).toBeLessThan(3000);
  const reply: Json = await slack.waitForResponse(key);
  return `${reply.response_type} ${JSON.stringify(reply.blocks)}`;
}

const embedText = (callback: Json) => {
  const embed = callback.body.data.embeds[0] ?? {};
  return `${callback.body.data.flags ?? 0} ${embed.title} ${embed.description}`;
};
const entries = async () => (await h.core.history("default", { limit: 100 })).items.length;

describe("giving to a Discord role", () => {
  it("credits each human member of the role once, the giver included as a member, in one change", async () => {
    const callback = await discord.send(pointsInteraction(mod, "give", { amount: 10, role: mods, reason: "launch" }));
    expect(embedText(callback)).toContain(`<@${mod.id}> gave 10 points to 3 members of @Mods for "launch"`);
    for (const m of [mod, ada, bob])
      expect((await h.core.balanceOf("default", discordSubject(m.id))).balance).toBe(10n);
    await expect(h.core.balanceOf("default", discordSubject(carl.id))).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(h.core.balanceOf("default", discordSubject(robot.id))).rejects.toMatchObject({ code: "NOT_FOUND" });
    const listed = discord.discord.requests.filter((r) => r.path === `/api/v10/guilds/${GUILD_ID}/members`);
    expect(listed.at(-1)?.query.get("limit")).toBe("1000");
    // Listing goes through REST: the gateway asks for no Server Members intent (Guilds, and reactions as points).
    expect(discord.discord.identifies.map((i) => i.intents)).toEqual([1 | (1 << 10)]);
  });

  it("applies a redelivered interaction once", async () => {
    const interaction = pointsInteraction(mod, "give", { amount: 5, role: mods });
    await discord.send(interaction);
    const again = await discord.send(interaction, 2);
    expect(embedText(again)).toContain("already applied");
    expect((await h.core.balanceOf("default", discordSubject(ada.id))).balance).toBe(5n);
    expect(await entries()).toBe(3);
  });

  it("refuses a role over TALLY_BULK_MAX, non-managers, and explains the Server Members intent when Discord refuses", async () => {
    const over = await discord.send(pointsInteraction(mod, "give", { amount: 1, role: everyone }));
    expect(embedText(over)).toContain(`${EPHEMERAL} @everyone is too large for one give`);
    expect(embedText(over)).toContain(`more than ${BULK_MAX} members`);
    const notManager = await discord.send(pointsInteraction(ada, "give", { amount: 1, role: mods }));
    expect(embedText(notManager)).toContain("Only managers can do that");
    discord.discord.guildMembers.intent = false;
    const refused = await discord.send(pointsInteraction(mod, "give", { amount: 1, role: mods }));
    expect(embedText(refused)).toContain("Server Members Intent");
    expect(embedText(refused)).toContain("DISCORD_MEMBERS_INTENT=true");
    expect(await entries()).toBe(0);
  });
});

describe("giving to a Slack user group", () => {
  it("credits each person in the group via usergroups.users.list, bots left out, the giver included as a member", async () => {
    const reply = await onSlack(people.admin.id, "give <!subteam^S0MODS|@mods> 10 thanks");
    expect(reply).toContain("in_channel");
    expect(reply).toContain("gave 10 points to 3 members of @mods");
    for (const id of [people.admin.id, people.member.id, people.friend.id]) {
      expect((await h.core.balanceOf("default", slackSubject(id))).balance).toBe(10n);
    }
    await expect(h.core.balanceOf("default", slackSubject(people.bot.id))).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(slack.calls.some((c) => c.method === "usergroups.users.list" && c.params.usergroup === "S0MODS")).toBe(true);
    // A manager outside the group gives to it without getting any.
    expect(await onSlack(people.configured.id, "give <!subteam^S0MODS|@mods> 1")).toContain("to 3 members of @mods");
    await expect(h.core.balanceOf("default", slackSubject(people.configured.id))).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("applies a redelivered command (same trigger_id) once, and refuses an over-cap or unknown group changing nothing", async () => {
    const trigger = `${Date.now()}.${randomUUID()}`;
    await onSlack(people.admin.id, "give <!subteam^S0MODS|@mods> 2", trigger);
    expect(await onSlack(people.admin.id, "give <!subteam^S0MODS|@mods> 2", trigger)).toContain("already applied");
    expect(await entries()).toBe(3);
    const over = await onSlack(people.admin.id, "give <!subteam^S0ALL|@all> 2");
    expect(over).toContain("ephemeral");
    expect(over).toContain("too large for one give");
    expect(await onSlack(people.admin.id, "give <!subteam^S0NOPE|@nope> 2")).toContain("does not know that user group");
    expect(await onSlack(people.member.id, "give <!subteam^S0MODS|@mods> 2")).toContain("Only managers");
    expect(await onSlack(people.admin.id, "take <!subteam^S0MODS|@mods> 2")).toContain("Only give works");
    expect(await entries()).toBe(3);
  });
});
