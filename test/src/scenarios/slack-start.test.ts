import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openTestDatabase } from "@tally/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { people, SIGNING_SECRET } from "../slack/fixtures.ts";
import { type LocalSlack, startLocalSlack } from "../slack/local-slack.ts";
import { postSlashCommand, slashCommandPayload } from "../slack/slash-command.ts";
import { startApiProcess } from "../tally-process.ts";

const API_KEY = "tly_slack_start_key";
let slack: LocalSlack;
let dataDir: string;
let databaseUrl: string | undefined;

beforeAll(async () => {
  slack = await startLocalSlack(Object.values(people));
  dataDir = mkdtempSync(join(tmpdir(), "tally-slack-start-"));
  const t = await openTestDatabase();
  databaseUrl = t.url;
  await t.close();
});
afterAll(async () => {
  await slack?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const baseEnv = () => ({
  TALLY_DATA_DIR: dataDir,
  DATABASE_URL: databaseUrl,
  TALLY_API_KEY: API_KEY,
  SLACK_BOT_TOKEN: slack.botToken,
  SLACK_API_URL: slack.apiUrl,
  // The configured admin is an ordinary member as far as Slack's users.info is concerned.
  SLACK_ADMIN_USER_IDS: ` ${people.configured.id} , U0SOMEONE`,
});

const balanceOf = async (url: string, userId: string) => {
  const res = await fetch(`${url}/api/v1/realms/default/credentials/find?type=custom&source=slack&value=${userId}`, {
    headers: { authorization: `Bearer ${API_KEY}` },
  });
  return res.status === 200 ? ((await res.json()) as { balance: number }).balance : undefined;
};

describe("pnpm start with the Slack settings", () => {
  it("HTTP mode: mounts POST /slack/events and honours SLACK_ADMIN_USER_IDS", async () => {
    const api = await startApiProcess({ ...baseEnv(), SLACK_SIGNING_SECRET: SIGNING_SECRET });
    try {
      expect(api.output()).toContain("Slack (POST /slack/events)");
      const key = randomUUID();
      const ack = await postSlashCommand(api.url, SIGNING_SECRET, {
        text: `give <@${people.member.id}> 8 from the process`,
        user_id: people.configured.id,
        response_url: slack.responseUrl(key),
      });
      expect(ack.status).toBe(200);
      expect((await slack.waitForResponse(key)).response_type).toBe("in_channel");
      expect(await balanceOf(api.url, people.member.id)).toBe(8);
      const forged = await postSlashCommand(api.url, "wrong-secret", {
        text: `give <@${people.member.id}> 8`,
        user_id: people.configured.id,
        response_url: slack.responseUrl(randomUUID()),
      });
      expect(forged.status).toBe(401);
    } finally {
      expect(await api.stop()).toBe(0);
    }
  });

  it("Socket Mode: connects out with SLACK_APP_TOKEN and leaves /slack/events unmounted", async () => {
    const api = await startApiProcess({ ...baseEnv(), SLACK_APP_TOKEN: slack.appToken });
    try {
      expect(api.output()).toContain("Slack (Socket Mode)");
      expect(slack.socket.connections()).toBe(1);
      const key = randomUUID();
      const payload = slashCommandPayload({
        text: `give <@${people.friend.id}> 3`,
        user_id: people.configured.id,
        response_url: slack.responseUrl(key),
      });
      expect((await slack.socket.sendSlashCommand(payload)).payload).toEqual({});
      expect((await slack.waitForResponse(key)).response_type).toBe("in_channel");
      expect(await balanceOf(api.url, people.friend.id)).toBe(3);
      const http = await postSlashCommand(api.url, SIGNING_SECRET, {
        text: "balance",
        user_id: people.member.id,
        response_url: slack.responseUrl(randomUUID()),
      });
      expect(http.status).toBe(404);
    } finally {
      expect(await api.stop()).toBe(0);
    }
    // The server sees the close a moment after the process has exited.
    await expect.poll(() => slack.socket.connections(), { timeout: 5_000 }).toBe(0);
  });

  it("refuses to start when Slack rejects the bot token", async () => {
    await expect(
      startApiProcess({ ...baseEnv(), SLACK_BOT_TOKEN: "xoxb-revoked", SLACK_SIGNING_SECRET: SIGNING_SECRET }),
    ).rejects.toThrow(/invalid_auth/);
  });
});
