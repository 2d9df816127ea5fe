import { randomUUID } from "node:crypto";
import { createBalanceService } from "@tally/core";
import type { SlackApp } from "@tally/slack-bot";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { discordSubject, type GatewayFixture, startGatewayFixture } from "../discord/gateway-fixture.ts";
import { MANAGE_GUILD, type MemberFixture, pointsInteraction } from "../discord/interactions.ts";
import type { Harness } from "../harness.ts";
import { people, SIGNING_SECRET, slackSubject } from "../slack/fixtures.ts";
import { type LocalSlack, TEAM_ID } from "../slack/local-slack.ts";
import { startSlackHarness } from "../slack/slack-harness.ts";
import { postSlashCommand } from "../slack/slash-command.ts";

// One person on both platforms: Discord user `ada`, Slack user `people.member`.
const EPHEMERAL = 64;
const mod: MemberFixture = { id: "940000000000000001", username: "mod", permissions: MANAGE_GUILD | (1n << 11n) };
const ada: MemberFixture = { id: "940000000000000002", username: "ada" };
const bob: MemberFixture = { id: "940000000000000003", username: "bob" };

let h: Harness;
let slack: LocalSlack;
let slackBot: SlackApp;
let discord: GatewayFixture;

beforeAll(async () => {
  ({ h, slack, bot: slackBot } = await startSlackHarness());
  discord = await startGatewayFixture(h.core);
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
});

// biome-ignore lint/suspicious/noExplicitAny: replies are asserted field by field
type Json = any;

async function onSlack(userId: string, text: string, triggerId?: string): Promise<{ text: string; reply: Json }> {
  const key = randomUUID();
  const ack = await postSlashCommand(h.url, SIGNING_SECRET, {
    text,
    user_id: userId,
    response_url: slack.responseUrl(key),
    ...(triggerId ? { trigger_id: triggerId } : {}),
  });
  expect(ack.status).toBe(200);
  const reply = await slack.waitForResponse(key);
  return { text: JSON.stringify(reply.blocks ?? reply.text), reply };
}

async function onDiscord(
  who: MemberFixture,
  sub: string,
  options: Record<string, string | number | MemberFixture> = {},
): Promise<{ text: string; flags: number }> {
  const callback = await discord.send(pointsInteraction(who, sub, options));
  const embed = callback.body.data.embeds[0] ?? {};
  return {
    text: [embed.title, embed.description, ...(embed.fields ?? []).map((f: Json) => `${f.name}: ${f.value}`)].join(
      "\n",
    ),
    flags: callback.body.data.flags ?? 0,
  };
}

const codeIn = (text: string) => /TALLY-[23456789A-HJ-NP-Z]{8}/.exec(text)?.[0] ?? "";

describe("linking Discord and Slack identities from chat", () => {
  it("Discord -> Slack: the code is private, the ghost balances merge, and every door reads the one balance", async () => {
    await onDiscord(mod, "give", { user: ada, amount: 30 });
    await onSlack(people.admin.id, `give <@${people.member.id}> 12`);
    const issued = await onDiscord(ada, "link");
    expect(issued.flags).toBe(EPHEMERAL);
    const code = codeIn(issued.text);
    expect(code).not.toBe("");
    expect(issued.text).toContain("one-way");

    const redeemed = await onSlack(people.member.id, `link ${code}`);
    expect(redeemed.reply.response_type).toBe("ephemeral");
    expect(redeemed.text).toContain("Accounts linked");
    expect(redeemed.text).toContain(`discord:${ada.id}`);
    expect(redeemed.text).toContain("42 points");

    // The merged balance, from Slack, from Discord and from REST.
    expect((await onSlack(people.member.id, "balance")).text).toContain("42 points");
    expect((await onDiscord(ada, "balance")).text).toContain("42 points");
    const rest = await h.call(
      "GET",
      `/api/v1/realms/default/credentials/find?type=custom&source=slack&value=${people.member.id}`,
    );
    expect(rest.body).toMatchObject({ balance: 42, linked: true });
    const history = await h.call("GET", `/api/v1/realms/default/transactions?accountId=${rest.body.accountId}`);
    expect(history.body.data.filter((e: Json) => e.kind === "link")).toHaveLength(2);

    // A give to either identity now reaches the same account.
    await onDiscord(mod, "give", { user: ada, amount: 3 });
    expect((await h.core.balanceOf("default", slackSubject(people.member.id))).balance).toBe(45n);

    const who = await onDiscord(ada, "whoami");
    expect(who.flags).toBe(EPHEMERAL);
    expect(who.text).toContain(`discord:${ada.id}`);
    expect(who.text).toContain(`slack:${people.member.id}`);
    expect(who.text).toContain("45 points");
  });

  it("Slack -> Discord: a code from Slack joins a Discord member who never had points", async () => {
    await onSlack(people.admin.id, `give <@${people.friend.id}> 9`);
    const issued = await onSlack(people.friend.id, "link");
    expect(issued.reply.response_type).toBe("ephemeral");
    const code = codeIn(issued.text);
    const redeemed = await onDiscord(bob, "link", { code });
    expect(redeemed.flags).toBe(EPHEMERAL);
    expect(redeemed.text).toContain(`slack:${people.friend.id}`);
    expect((await h.core.balanceOf("default", discordSubject(bob.id))).balance).toBe(9n);
    const who = await onSlack(people.friend.id, "whoami");
    expect(who.text).toContain(`discord:${bob.id}`);
    expect(who.text).toContain("9 points");
  });

  it("refuses used, expired and foreign-realm codes, and says when the platforms are bound to different realms", async () => {
    const first = codeIn((await onDiscord(ada, "link")).text);
    await onSlack(people.member.id, `link ${first}`);
    const used = await onSlack(people.friend.id, `link ${first}`);
    expect(used.text).toContain("already used");

    // Issued 11 minutes ago: expired.
    const past = createBalanceService(h.t.db, { now: () => new Date(Date.now() - 11 * 60_000) });
    const stale = (await past.issueLinkCode("default", discordSubject(bob.id).identifier)).code;
    const expired = await onSlack(people.friend.id, `link ${stale}`);
    expect(expired.text).toContain("expired");

    // This Slack workspace is bound to another realm than the Discord guild that issued the code.
    await h.core.createRealm({ id: "slack-realm", name: "Slack realm" });
    await h.core.bindBot({ platform: "slack", externalId: TEAM_ID, realmId: "slack-realm" });
    const fresh = codeIn((await onDiscord(bob, "link")).text);
    const foreign = await onSlack(people.friend.id, `link ${fresh}`);
    expect(foreign.text).toContain("another realm");
    expect(foreign.text).toContain("same realm");

    const linkEntries = (await h.core.history("default", { limit: 100 })).items.filter((e) => e.kind === "link");
    expect(linkEntries).toHaveLength(0); // the one good redemption joined two ghosts that held nothing
    expect((await h.core.balanceOf("default", discordSubject(bob.id))).linked).toBe(false);
    expect(discord.errors).toEqual([]);
  });

  it("REST: issue a code for a credential and redeem it with another; a replayed redemption says so", async () => {
    await h.call("PATCH", "/api/v1/realms/default/credentials/balance?type=email&value=grace@example.com", {
      body: { amount: 8 },
    });
    const issued = await h.call(
      "POST",
      "/api/v1/realms/default/credentials/link-codes?type=email&value=grace@example.com",
    );
    expect(issued.status).toBe(201);
    expect(issued.body.code).toMatch(/^TALLY-/);
    const url = `/api/v1/realms/default/credentials/link-codes/${issued.body.code}/redeem?type=discord-id&value=${ada.id}`;
    const redeemed = await h.call("POST", url, { headers: { "idempotency-key": "redeem-1" } });
    expect(redeemed.status).toBe(200);
    expect(redeemed.body).toMatchObject({
      linked: true,
      alreadyLinked: false,
      linkedWith: { type: "email", identifier: "grace@example.com" },
    });
    const again = await h.call("POST", url, { headers: { "idempotency-key": "redeem-1" } });
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await h.call("POST", url)).status).toBe(409);
    expect((await onDiscord(ada, "balance")).text).toContain("8 points");
    const other = await h.call("POST", "/api/v1/realms/elsewhere/credentials/link-codes?type=email&value=a@b.co");
    expect(other.status).toBe(403);
    // Guessing: each identity gets 5 attempts per 10 minutes, then 429 with Retry-After.
    const guess = (code: string) =>
      h.call("POST", `/api/v1/realms/default/credentials/link-codes/${code}/redeem?type=discord-id&value=${bob.id}`);
    for (const code of ["TALLY-22222222", "TALLY-22222223", "TALLY-22222224", "TALLY-22222225", "TALLY-22222226"]) {
      expect((await guess(code)).status).toBe(404);
    }
    const limited = await guess("TALLY-22222227");
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("help says linking is one-way and there is no unlink", async () => {
    expect((await onDiscord(ada, "help")).text).toContain("no /points unlink");
    expect((await onSlack(people.member.id, "help")).text).toContain("no /points unlink");
  });
});

describe("targets on another platform", () => {
  it("Discord's to: option credits slack:, email:, user: and discord: identities; both options at once is refused", async () => {
    await h.call("POST", "/users", { body: { user_id: "u-carol" } });
    const slackGive = await onDiscord(mod, "give", { to: `slack:${people.member.id}`, amount: 4 });
    expect(slackGive.text).toContain(`slack:${people.member.id}`);
    await onDiscord(mod, "give", { to: "email:Carol@Example.com", amount: 2 });
    await onDiscord(mod, "give", { to: "user:u-carol", amount: 3 });
    await onDiscord(mod, "give", { to: `discord:${bob.id}`, amount: 5 });
    await onDiscord(mod, "give", { to: `<@${ada.id}>`, amount: 1 });
    expect((await h.core.balanceOf("default", discordSubject(ada.id))).balance).toBe(1n);
    expect((await h.core.balanceOf("default", slackSubject(people.member.id))).balance).toBe(4n);
    expect(
      (
        await h.core.balanceOf("default", {
          kind: "credential",
          identifier: { type: "email", source: "", value: "carol@example.com" },
        })
      ).balance,
    ).toBe(2n);
    expect((await h.core.balanceOf("default", { kind: "user", userId: "u-carol" })).balance).toBe(3n);
    expect((await h.core.balanceOf("default", discordSubject(bob.id))).balance).toBe(5n);

    const both = await onDiscord(mod, "give", { user: ada, to: "email:x@example.com", amount: 1 });
    expect(both.flags).toBe(EPHEMERAL);
    expect(both.text).toContain("not both");
    const bad = await onDiscord(mod, "give", { to: "slack:nobody", amount: 1 });
    expect(bad.flags).toBe(EPHEMERAL);
    expect(bad.text).toContain("not a Slack user id");
    expect((await h.core.history("default", { limit: 100 })).items).toHaveLength(5);
  });

  it("Slack accepts slack:U… besides mentions, and a give to any identity of a linked member reaches one account", async () => {
    const code = codeIn((await onDiscord(ada, "link")).text);
    await onSlack(people.member.id, `link ${code}`);
    const given = await onSlack(people.admin.id, `give slack:${people.member.id} 6 welcome`);
    expect(given.text).toContain("Points given");
    await onSlack(people.admin.id, `give discord:${ada.id} 4`);
    expect((await h.core.balanceOf("default", discordSubject(ada.id))).balance).toBe(10n);
    expect((await onSlack(people.member.id, "balance")).text).toContain("10 points");
    expect((await onSlack(people.admin.id, "give slack:u-lower 1")).text).toContain("not a Slack user id");
  });
});

describe("leaderboards by period", () => {
  it("REST, Discord and Slack rank this week's receivers, with last month's gives outside the window", async () => {
    await onDiscord(mod, "give", { user: ada, amount: 10 });
    await onDiscord(mod, "give", { user: bob, amount: 20 });
    await onSlack(people.admin.id, `give <@${people.member.id}> 10`);
    // Bob's points were given 40 days ago: before this day, week and month began.
    const bobEntry = (await h.core.history("default", { subject: discordSubject(bob.id) })).items[0];
    await h.t.db.execute(
      sql`UPDATE ledger_entries SET created_at = now() - interval '40 days' WHERE id = ${bobEntry?.id ?? 0n}`,
    );

    const week = await h.call("GET", "/api/v1/realms/default/members/leaderboard?period=week");
    expect(week.status).toBe(200);
    expect(week.body.period).toBe("week");
    expect(new Date(week.body.since).getUTCDay()).toBe(1);
    expect(week.body.data.map((r: Json) => [r.rank, r.received])).toEqual([
      [1, 10],
      [1, 10],
    ]);
    const all = await h.call("GET", "/api/v1/realms/default/members/leaderboard?period=all");
    expect(all.body.data.map((r: Json) => [r.rank, r.balance])).toEqual([
      [1, 20],
      [2, 10],
      [3, 10],
    ]);
    const unknown = await h.call("GET", "/api/v1/realms/default/members/leaderboard?period=fortnight");
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toContain("query.period");

    const onD = await onDiscord(ada, "leaderboard", { period: "week" });
    expect(onD.text).toContain("this week");
    expect(onD.text).toContain(`1. <@${ada.id}> — **10 points** received`);
    expect(onD.text).not.toContain(bob.id);
    const onS = await onSlack(people.friend.id, "leaderboard month");
    expect(onS.text).toContain("this month");
    expect(onS.text).toContain("1. @max — *10 points* received");
    expect(onS.text).not.toContain(bob.id);
    expect((await onSlack(people.friend.id, "leaderboard fortnight")).text).toContain("not a period");
  });

  it("PATCH /api/v1/realms/{realmId} sets an IANA time zone and refuses anything else", async () => {
    const set = await h.call("PATCH", "/api/v1/realms/default", { body: { timezone: "Europe/Berlin" } });
    expect(set).toMatchObject({ status: 200, body: { id: "default", timezone: "Europe/Berlin" } });
    const bad = await h.call("PATCH", "/api/v1/realms/default", { body: { timezone: "Europe/Atlantis" } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain("timezone");
    expect((await h.call("PATCH", "/api/v1/realms/default", { body: { zone: "UTC" } })).status).toBe(400);
    expect((await h.call("PATCH", "/api/v1/realms/elsewhere", { body: { timezone: "UTC" } })).status).toBe(403);
    expect((await h.core.getRealm("default"))?.timezone).toBe("Europe/Berlin");
    const cleared = await h.call("PATCH", "/api/v1/realms/default", { body: { timezone: null } });
    expect(cleared.body.timezone).toBeNull();
  });
});
