import { randomUUID } from "node:crypto";
import { signSlackRequest } from "@tally/slack-bot";
import { TEAM_ID } from "./local-slack.ts";

export interface SlashCommandFields {
  text: string;
  user_id: string;
  response_url: string;
  trigger_id?: string;
  user_name?: string;
  team_id?: string;
  channel_id?: string;
}

/** The fields of a slash command exactly as Slack sends them (form-encoded in HTTP mode, an object in Socket Mode). */
export function slashCommandPayload(fields: SlashCommandFields): Record<string, string> {
  return {
    token: "deprecated-verification-token",
    team_id: fields.team_id ?? TEAM_ID,
    team_domain: "tally-local",
    channel_id: fields.channel_id ?? "C0GENERAL",
    channel_name: "general",
    user_id: fields.user_id,
    user_name: fields.user_name ?? fields.user_id.toLowerCase(),
    command: "/points",
    text: fields.text,
    api_app_id: "A0TALLY",
    is_enterprise_install: "false",
    response_url: fields.response_url,
    trigger_id: fields.trigger_id ?? `${Date.now()}.${randomUUID()}`,
  };
}

/**
 * POSTs a signed slash command to `/slack/events`, as Slack would. `timestamp` (seconds) and `signature` override
 * what a well-behaved Slack would send, to test refusals.
 */
export async function postSlashCommand(
  serverUrl: string,
  signingSecret: string,
  fields: SlashCommandFields,
  overrides: { timestamp?: number; signature?: string; body?: string } = {},
): Promise<{ status: number; text: string; elapsedMs: number }> {
  const body = new URLSearchParams(slashCommandPayload(fields)).toString();
  return postSigned(serverUrl, signingSecret, body, "application/x-www-form-urlencoded", overrides);
}

export async function postSigned(
  serverUrl: string,
  signingSecret: string,
  body: string,
  contentType: string,
  overrides: { timestamp?: number; signature?: string; body?: string } = {},
): Promise<{ status: number; text: string; elapsedMs: number }> {
  const timestamp = String(overrides.timestamp ?? Math.floor(Date.now() / 1000));
  const signature = overrides.signature ?? signSlackRequest(signingSecret, timestamp, body);
  const started = performance.now();
  const res = await fetch(`${serverUrl}/slack/events`, {
    method: "POST",
    headers: {
      "content-type": contentType,
      "x-slack-request-timestamp": timestamp,
      "x-slack-signature": signature,
      "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    },
    body: overrides.body ?? body,
  });
  return { status: res.status, text: await res.text(), elapsedMs: performance.now() - started };
}

let eventCounter = 0;

/**
 * A `reaction_added` / `reaction_removed` event callback exactly as the Events API sends it (the same envelope
 * arrives as the payload of a Socket Mode `events_api` message).
 */
export function reactionEvent(
  type: "reaction_added" | "reaction_removed",
  fields: { user: string; reaction: string; itemUser: string; channel?: string; ts: string; teamId?: string },
): Record<string, unknown> {
  eventCounter += 1;
  const now = Math.floor(Date.now() / 1000);
  return {
    token: "deprecated-verification-token",
    team_id: fields.teamId ?? TEAM_ID,
    context_team_id: fields.teamId ?? TEAM_ID,
    api_app_id: "A0TALLY",
    event: {
      type,
      user: fields.user,
      reaction: fields.reaction,
      item_user: fields.itemUser,
      item: { type: "message", channel: fields.channel ?? "C0GENERAL", ts: fields.ts },
      event_ts: `${now}.${String(eventCounter).padStart(6, "0")}`,
    },
    type: "event_callback",
    event_id: `Ev${String(eventCounter).padStart(9, "0")}`,
    event_time: now,
    authorizations: [
      { team_id: fields.teamId ?? TEAM_ID, user_id: "UTALLYBOT", is_bot: true, is_enterprise_install: false },
    ],
    is_ext_shared_channel: false,
  };
}

/** POSTs a signed Events API callback to `/slack/events`, as Slack would. */
export function postEvent(serverUrl: string, signingSecret: string, event: Record<string, unknown>) {
  return postSigned(serverUrl, signingSecret, JSON.stringify(event), "application/json");
}
