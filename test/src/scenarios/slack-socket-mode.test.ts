import { randomUUID } from "node:crypto";
import { createBalanceService } from "@tally/core";
import { openTestDatabase, type TestDatabase } from "@tally/db/testing";
import { createSlackApp, LogLevel, type SlackApp } from "@tally/slack-bot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configuredAdmins, people, slackSubject } from "../slack/fixtures.ts";
import { type LocalSlack, startLocalSlack, TEAM_ID } from "../slack/local-slack.ts";
import { reactionEvent, slashCommandPayload } from "../slack/slash-command.ts";

let t: TestDatabase;
let slack: LocalSlack;
let bot: SlackApp;
const core = () => createBalanceService(t.db);

beforeAll(async () => {
  t = await openTestDatabase();
  await core().ensureBootstrap({ apiKey: "tly_slack_socket_mode_key" });
  slack = await startLocalSlack(Object.values(people));
  bot = await createSlackApp({
    core: core(),
    botToken: slack.botToken,
    signingSecret: "",
    appToken: slack.appToken,
    apiUrl: slack.apiUrl,
    adminUserIds: configuredAdmins,
    logLevel: LogLevel.ERROR,
  });
  await bot.start?.();
});
afterAll(async () => {
  await bot?.stop();
  await slack?.close();
  await t?.close();
});

describe("Slack in Socket Mode", () => {
  it("opens the connection with the app token and the URL apps.connections.open returned", () => {
    expect(slack.calls.find((c) => c.method === "apps.connections.open")).toMatchObject({ token: slack.appToken });
    expect(slack.socket.connections()).toBe(1);
  });

  it("acks reaction_added / reaction_removed events_api envelopes and gives, then takes back, the points", async () => {
    await core().bindBot({
      platform: "slack",
      externalId: TEAM_ID,
      realmId: "default",
      settings: { reactions: [{ emoji: "taco", amount: 3 }] },
    });
    const friend = slackSubject(people.friend.id);
    const balance = async () => {
      try {
        return Number((await core().balanceOf("default", friend)).balance);
      } catch {
        return 0;
      }
    };
    const before = await balance();
    const fields = { user: people.member.id, itemUser: people.friend.id, reaction: "taco", ts: "1764064900.000100" };
    const ack = await slack.socket.sendEvent(reactionEvent("reaction_added", fields));
    expect(typeof ack.envelope_id).toBe("string");
    await expect.poll(balance).toBe(before + 3);
    await slack.socket.sendEvent(reactionEvent("reaction_removed", fields));
    await expect.poll(balance).toBe(before);
  });

  it("acks a slash_commands envelope over the socket, then responds and writes the ledger", async () => {
    const key = randomUUID();
    const payload = slashCommandPayload({
      text: `give <@${people.member.id}> 9 socket`,
      user_id: people.admin.id,
      response_url: slack.responseUrl(key),
    });
    const sent = performance.now();
    const ack = await slack.socket.sendSlashCommand(payload);
    expect(performance.now() - sent).toBeLessThan(3000);
    expect(ack.payload).toEqual({});
    expect(Object.keys(ack).sort()).toEqual(["envelope_id", "payload"]);

    const reply = await slack.waitForResponse(key);
    expect(reply.response_type).toBe("in_channel");
    expect(JSON.stringify(reply.blocks)).toContain("9");
    expect(Number((await core().balanceOf("default", slackSubject(people.member.id))).balance)).toBe(9);
  });

  it("a redelivered envelope with the same trigger_id applies once", async () => {
    const key = randomUUID();
    const payload = slashCommandPayload({
      text: `give <@${people.friend.id}> 4`,
      user_id: people.configured.id,
      response_url: slack.responseUrl(key),
      trigger_id: "socket.retry.1",
    });
    await slack.socket.sendSlashCommand(payload);
    await slack.waitForResponse(key);
    await slack.socket.sendSlashCommand(payload);
    await slack.waitForResponse(key, 2);
    expect(Number((await core().balanceOf("default", slackSubject(people.friend.id))).balance)).toBe(4);
  });

  it("keeps the HTTP handler closed without a signing secret", async () => {
    const res = await bot.handler({
      rawBody: "text=hi",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(res.status).toBe(401);
  });
});
