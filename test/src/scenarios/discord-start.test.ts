import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openTestDatabase } from "@tally/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MANAGE_GUILD, type MemberFixture, pointsInteraction } from "../discord/interactions.ts";
import { type LocalDiscord, startLocalDiscord } from "../discord/local-discord.ts";
import { applicationKeys, signatureHeaders } from "../discord/sign-interaction.ts";
import { failedStart, startTallyProcess } from "../tally-process.ts";

const API_KEY = "tly_discord_start_key";
const mod: MemberFixture = { id: "960000000000000001", username: "mod", permissions: MANAGE_GUILD };
const ada: MemberFixture = { id: "960000000000000002", username: "ada" };
const root = fileURLToPath(new URL("../../..", import.meta.url));

let discord: LocalDiscord;
let dataDir: string;
let databaseUrl: string | undefined;

beforeAll(async () => {
  discord = await startLocalDiscord();
  dataDir = mkdtempSync(join(tmpdir(), "tally-discord-start-"));
  const t = await openTestDatabase();
  databaseUrl = t.url;
  await t.close();
});
afterAll(async () => {
  await discord?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 240; i++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not happen in 60 s`);
}

/** Dispatches over the gateway and returns the embed of the first callback for it. */
async function viaGateway(interaction: Record<string, unknown>) {
  discord.gateway.dispatchInteraction(interaction);
  const callback = await discord.waitFor((r) => r.path.startsWith(`/api/v10/interactions/${interaction.id}/`));
  return callback.body.data.embeds[0];
}

describe("pnpm start with the Discord settings", () => {
  it("opens the gateway and POST /discord/interactions, both answering /points on one ledger", async () => {
    const keys = applicationKeys();
    const api = await startTallyProcess(
      "api/src/main.ts",
      {
        TALLY_DATA_DIR: dataDir,
        DATABASE_URL: databaseUrl,
        TALLY_API_KEY: API_KEY,
        DISCORD_TOKEN: discord.token,
        DISCORD_PUBLIC_KEY: keys.publicKeyHex,
        DISCORD_API_URL: discord.apiUrl,
      },
      /Tally is listening on (http:\/\/\S+)[\s\S]*Doors open: .*\n/,
    );
    const url = api.match[1];
    try {
      expect(api.output()).toContain("Discord interactions (POST /discord/interactions), Discord gateway");
      expect(discord.gateway.connections()).toBe(1);

      const first = await viaGateway(pointsInteraction(mod, "give", { user: ada, amount: 8 }));
      expect(first.description).toContain("**8 points**");

      const body = JSON.stringify(pointsInteraction(mod, "give", { user: ada, amount: 2 }));
      const response = await fetch(`${url}/discord/interactions`, {
        method: "POST",
        headers: { "content-type": "application/json", ...signatureHeaders(keys.privateKey, body) },
        body,
      });
      expect(response.status).toBe(200);
      const reply = (await response.json()) as { data: { embeds: { description: string }[] } };
      expect(reply.data.embeds[0]?.description).toContain("**10 points**");

      const found = await fetch(`${url}/api/v1/realms/default/credentials/find?type=discord-id&value=${ada.id}`, {
        headers: { authorization: `Bearer ${API_KEY}` },
      });
      expect(((await found.json()) as { balance: number }).balance).toBe(10);
    } finally {
      await api.stop();
    }
    expect(api.child.exitCode, api.output()).toBe(0);
    await waitUntil(() => discord.gateway.connections() === 0, "the gateway disconnect");
  });

  it("runs the gateway bot standalone (bots/discord start) for scale-out, on PostgreSQL only", async () => {
    if (!databaseUrl) {
      // The embedded database belongs to one process: the standalone bot refuses it, naming the setting.
      const refused = await failedStart(
        startTallyProcess(
          "bots/discord/src/main.ts",
          { TALLY_DATA_DIR: dataDir, DISCORD_TOKEN: discord.token, DISCORD_API_URL: discord.apiUrl },
          /is online/,
        ),
      );
      expect(refused).toContain("exited with 1");
      expect(refused).toContain("DATABASE_URL is required");
      expect(discord.gateway.connections()).toBe(0);
      return;
    }
    const bot = await startTallyProcess(
      "bots/discord/src/main.ts",
      {
        TALLY_DATA_DIR: dataDir,
        DATABASE_URL: databaseUrl,
        DISCORD_TOKEN: discord.token,
        DISCORD_API_URL: discord.apiUrl,
      },
      /is online/,
    );
    try {
      const balance = await viaGateway(pointsInteraction(ada, "balance"));
      // The first test left ada with 10 in this same database.
      expect(balance.description).toBe(`<@${ada.id}> has **10 points**.`);
    } finally {
      await bot.stop();
    }
    expect(bot.child.exitCode, bot.output()).toBe(0);
  });

  it("refuses to start standalone without a token, saying which setting is missing", async () => {
    const { DISCORD_TOKEN: _t, ...base } = process.env;
    const child = spawn(process.execPath, ["--import", "tsx", "bots/discord/src/main.ts"], {
      cwd: root,
      env: { ...base, TALLY_DATA_DIR: dataDir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stderr?.on("data", (chunk) => {
      output += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).toBe(1);
    expect(output).toContain("DISCORD_TOKEN");
  });
});
