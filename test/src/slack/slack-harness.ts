import { randomUUID } from "node:crypto";
import type { AppDeps } from "@tally/api";
import { createSlackApp, LogLevel, type SlackApp, type SlackAppOptions } from "@tally/slack-bot";
import { expect } from "vitest";
import { type Harness, startHarness } from "../harness.ts";
import { configuredAdmins, people, SIGNING_SECRET } from "./fixtures.ts";
import { type LocalSlack, startLocalSlack } from "./local-slack.ts";
import { postSlashCommand } from "./slash-command.ts";

export interface SlackHarness {
  h: Harness;
  slack: LocalSlack;
  bot: SlackApp;
  /** What `POST /slack/events` calls: the bot's handler, or another app's for a test that needs other settings. */
  handler: SlackApp["handler"];
  /** Types `/points <text>` as `userId`; returns the HTTP ack (checked empty, as Slack wants) and what respond() posted. */
  points(
    userId: string,
    text: string,
    options?: { triggerId?: string; teamId?: string },
  ): Promise<{ ack: { status: number; text: string; elapsedMs: number }; reply: SlackReply }>;
  close(): Promise<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: Block Kit messages are asserted field by field
export type SlackReply = any;

/**
 * The API server with a real Bolt app on `POST /slack/events`, talking to the local Slack server with the fixture
 * people. The server needs the app's handler and the app needs the server's core: they are bound late.
 */
export async function startSlackHarness(
  options: {
    deps?: Partial<AppDeps>;
    harness?: Parameters<typeof startHarness>[1];
    app?: Partial<SlackAppOptions> | ((h: Harness) => Partial<SlackAppOptions>);
  } = {},
): Promise<SlackHarness> {
  const slack = await startLocalSlack(Object.values(people));
  let harness: SlackHarness | undefined;
  const h = await startHarness(
    {
      ...options.deps,
      slackEvents: (request) => {
        if (!harness) throw new Error("Slack handler not ready");
        return harness.handler(request);
      },
    },
    options.harness,
  );
  const bot = await createSlackApp({
    core: h.core,
    botToken: slack.botToken,
    signingSecret: SIGNING_SECRET,
    apiUrl: slack.apiUrl,
    adminUserIds: configuredAdmins,
    logLevel: LogLevel.ERROR,
    ...(typeof options.app === "function" ? options.app(h) : options.app),
  });
  harness = {
    h,
    slack,
    bot,
    handler: bot.handler,
    async points(userId, text, o = {}) {
      const key = randomUUID();
      const ack = await postSlashCommand(h.url, SIGNING_SECRET, {
        text,
        user_id: userId,
        response_url: slack.responseUrl(key),
        ...(o.triggerId ? { trigger_id: o.triggerId } : {}),
        ...(o.teamId ? { team_id: o.teamId } : {}),
      });
      expect(ack.status).toBe(200);
      expect(ack.text).toBe("");
      return { ack, reply: await slack.waitForResponse(key) };
    },
    async close() {
      await bot.stop();
      await h.close();
      await slack.close();
    },
  };
  return harness;
}
