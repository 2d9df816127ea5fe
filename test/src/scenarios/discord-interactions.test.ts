import type { KeyObject } from "node:crypto";
import { buildApp } from "@tally/api";
import { type BalanceService, createBalanceService } from "@tally/core";
import { openTestDatabase, type TestDatabase } from "@tally/db/testing";
import { createDiscordInteractionsHandler } from "@tally/discord-bot";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { discordSubject } from "../discord/gateway-fixture.ts";
import { MANAGE_GUILD, type MemberFixture, pointsInteraction } from "../discord/interactions.ts";
import { type LocalDiscord, startLocalDiscord } from "../discord/local-discord.ts";
import { applicationKeys, signatureHeaders } from "../discord/sign-interaction.ts";

const mod: MemberFixture = { id: "940000000000000001", username: "mod", permissions: MANAGE_GUILD };
const ada: MemberFixture = { id: "940000000000000002", username: "ada" };

let t: TestDatabase;
let core: BalanceService;
let discord: LocalDiscord;
let privateKey: KeyObject;
let apps: FastifyInstance[] = [];
let url: string;
let slowUrl: string;

/** The API server as `pnpm start` composes it, listening on a free port, with the interactions door open. */
async function listen(publicKey: string, deferAfterMs?: number): Promise<string> {
  const app = await buildApp({
    core,
    discordInteractions: createDiscordInteractionsHandler({ core, publicKey, apiUrl: discord.apiUrl, deferAfterMs }),
  });
  apps.push(app);
  return app.listen({ host: "127.0.0.1", port: 0 });
}

beforeAll(async () => {
  t = await openTestDatabase();
  core = createBalanceService(t.db);
  discord = await startLocalDiscord();
  const keys = applicationKeys();
  privateKey = keys.privateKey;
  url = await listen(keys.publicKeyHex);
  slowUrl = await listen(keys.publicKeyHex, 0);
});
afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
  apps = [];
  await discord?.close();
  await t?.close();
});
beforeEach(async () => {
  await t.reset();
  await core.ensureBootstrap({ apiKey: "tly_discord_http_test" });
});

async function post(body: string, headers: Record<string, string>, base = url) {
  const response = await fetch(`${base}/discord/interactions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const signed = (payload: unknown, base = url) => {
  const body = JSON.stringify(payload);
  return post(body, signatureHeaders(privateKey, body), base);
};

const entries = async () => (await core.history("default", { limit: 100 })).items;

describe("POST /discord/interactions", () => {
  it("answers a signed PING with PONG", async () => {
    const reply = await signed({ id: "940000000000000100", application_id: "1", type: 1, token: "t", version: 1 });
    expect(reply).toEqual({ status: 200, body: { type: 1 } });
  });

  it("applies a signed /points give and answers with the embed", async () => {
    const interaction = pointsInteraction(mod, "give", { user: ada, amount: 15, reason: "docs" });
    const reply = await signed(interaction);
    expect(reply.status).toBe(200);
    expect(reply.body.type).toBe(4);
    expect(reply.body.data.embeds[0].title).toBe("Points given");
    expect(reply.body.data.embeds[0].description).toContain(`<@${mod.id}> gave 15 points to <@${ada.id}> for "docs"`);
    expect((await core.balanceOf("default", discordSubject(ada.id))).balance).toBe(15n);

    const again = await signed(interaction);
    expect(again.body.data.embeds[0].description).toContain("already applied");
    expect(await entries()).toHaveLength(1);
  });

  it("refuses a non-manager privately through the same dispatcher", async () => {
    const reply = await signed(pointsInteraction(ada, "take", { user: mod, amount: 1 }));
    expect(reply.body.data.flags).toBe(64);
    expect(reply.body.data.embeds[0].title).toBe("Only managers can do that");
  });

  it("rejects a tampered body, a missing signature and a malformed one with 401, changing nothing", async () => {
    const original = JSON.stringify(pointsInteraction(mod, "give", { user: ada, amount: 1 }));
    const headers = signatureHeaders(privateKey, original);
    const tampered = original.replace('"value":1}', '"value":1000}');
    expect(tampered).not.toBe(original);
    expect((await post(tampered, headers)).status).toBe(401);
    expect((await post(original, { "x-signature-timestamp": headers["x-signature-timestamp"] })).status).toBe(401);
    expect((await post(original, {})).status).toBe(401);
    expect((await post(original, { ...headers, "x-signature-ed25519": "zz" })).status).toBe(401);
    const otherTime = { ...headers, "x-signature-timestamp": String(Number(headers["x-signature-timestamp"]) + 1) };
    expect((await post(original, otherTime)).status).toBe(401);
    const ping = JSON.stringify({ type: 1 });
    expect((await post(ping, signatureHeaders(applicationKeys().privateKey, ping))).status).toBe(401);
    expect(await entries()).toHaveLength(0);
  });

  it("refuses a correctly signed request whose timestamp is over 5 minutes old or ahead: no replays", async () => {
    const now = Math.floor(Date.now() / 1000);
    const send = (timestamp: number, payload: unknown) => {
      const body = JSON.stringify(payload);
      return post(body, signatureHeaders(privateKey, body, String(timestamp)));
    };
    for (const timestamp of [now - 6 * 60, now + 6 * 60, now - 24 * 60 * 60]) {
      const replayed = await send(timestamp, pointsInteraction(mod, "give", { user: ada, amount: 1 }));
      expect(replayed).toEqual({
        status: 401,
        body: { error: "invalid request signature", message: expect.stringContaining("stale x-signature-timestamp") },
      });
    }
    expect(await entries()).toHaveLength(0);
    const recent = await send(now - 4 * 60, pointsInteraction(mod, "give", { user: ada, amount: 1 }));
    expect(recent.status).toBe(200);
    expect(await entries()).toHaveLength(1);
  });

  it("suggests currencies for autocomplete", async () => {
    const reply = await signed(
      pointsInteraction(mod, "give", { user: ada, amount: 1, currency: "po" }, { type: 4, focused: "currency" }),
    );
    expect(reply.body).toEqual({
      type: 8,
      data: { choices: [{ name: "points (default)", value: expect.any(String) }] },
    });
  });

  it("defers slow work and delivers the reply through the interaction webhook at DISCORD_API_URL", async () => {
    const interaction = pointsInteraction(mod, "give", { user: ada, amount: 5 });
    const reply = await signed(interaction, slowUrl);
    expect(reply.body).toEqual({ type: 5 });
    const edit = await discord.waitFor(
      (r) =>
        r.method === "PATCH" &&
        r.path === `/api/v10/webhooks/${interaction.application_id}/${interaction.token}/messages/@original`,
    );
    expect(edit.body.embeds[0].title).toBe("Points given");
    expect((await core.balanceOf("default", discordSubject(ada.id))).balance).toBe(5n);
  });
});
