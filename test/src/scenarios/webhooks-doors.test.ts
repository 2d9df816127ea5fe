import { deliverDue } from "@tally/core";
import { createDiscordInteractionsHandler } from "@tally/discord-bot";
import { afterAll, beforeAll, expect, it } from "vitest";
import { MANAGE_GUILD, type MemberFixture, pointsInteraction } from "../discord/interactions.ts";
import { type LocalDiscord, startLocalDiscord } from "../discord/local-discord.ts";
import { applicationKeys, signatureHeaders } from "../discord/sign-interaction.ts";
import type { Harness } from "../harness.ts";
import { people } from "../slack/fixtures.ts";
import { type SlackHarness, startSlackHarness } from "../slack/slack-harness.ts";
import { type Receiver, startReceiver, until } from "../webhook-receiver.ts";

const mod: MemberFixture = { id: "940000000000000001", username: "mod", permissions: MANAGE_GUILD };
const ada: MemberFixture = { id: "940000000000000002", username: "ada" };

let s: SlackHarness;
let h: Harness;
let discord: LocalDiscord;
let receiver: Receiver;
const keys = applicationKeys();

beforeAll(async () => {
  discord = await startLocalDiscord();
  receiver = await startReceiver();
  // The Discord door needs the harness's core, and the harness needs the door: bind late.
  let interactions: ReturnType<typeof createDiscordInteractionsHandler> | undefined;
  s = await startSlackHarness({
    deps: { discordInteractions: (request) => (interactions as NonNullable<typeof interactions>)(request) },
  });
  h = s.h;
  await h.reset();
  interactions = createDiscordInteractionsHandler({
    core: h.core,
    publicKey: keys.publicKeyHex,
    apiUrl: discord.apiUrl,
  });
});
afterAll(async () => {
  await s?.close();
  await discord?.close();
  await receiver?.close();
});

it("deltas from every door (API, Discord, Slack) arrive as balance.changed events with their via", async () => {
  const hook = await h.call("POST", "/api/v1/realms/default/webhooks", {
    body: { url: receiver.url, events: ["balance.changed"] },
  });
  receiver.secrets.push(hook.body.secret);

  const api = await h.call("PATCH", "/api/v1/realms/default/credentials/balance?type=email&value=a@b.io", {
    body: { amount: 3 },
  });
  expect(api.status).toBe(200);

  const interaction = JSON.stringify(pointsInteraction(mod, "give", { user: ada, amount: 15, reason: "docs" }));
  const fromDiscord = await fetch(`${h.url}/discord/interactions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...signatureHeaders(keys.privateKey, interaction) },
    body: interaction,
  });
  expect(fromDiscord.status).toBe(200);

  await s.points(people.admin.id, `give <@${people.member.id}|max> 10 great demo`);

  await until(async () => {
    await deliverDue(h.t.db, { allowPrivate: true });
    return receiver.received.length === 3;
  }, "three events");
  const byVia = Object.fromEntries(receiver.received.map((e) => [e.body.data.via, e.body.data]));
  expect(byVia.api).toMatchObject({ identifier: "a@b.io", delta: 3, balanceAfter: 3 });
  expect(byVia.discord).toMatchObject({
    identifier: ada.id,
    delta: 15,
    description: "docs",
    initiator: { type: "discord", id: mod.id },
  });
  expect(byVia.slack).toMatchObject({
    identifier: people.member.id,
    delta: 10,
    initiator: { type: "slack", id: people.admin.id },
  });
  expect(receiver.rejected).toBe(0);
});
