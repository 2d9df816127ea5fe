import type { Subject } from "@tally/core";
import type { SlackUserFixture } from "./local-slack.ts";

export const SIGNING_SECRET = "local-slack-signing-secret";

/** The workspace every Slack scenario runs in. */
export const people = {
  admin: { id: "U0ADMIN", name: "ada", is_admin: true },
  owner: { id: "U0OWNER", name: "olga", is_owner: true },
  member: { id: "U0MEMBER", name: "max" },
  friend: { id: "U0FRIEND", name: "fran" },
  configured: { id: "U0CONFIG", name: "carl" },
  bot: { id: "U0ROBOT", name: "robot", is_bot: true },
  /** Asked about by one test only, so Tally has never cached them before it. */
  latecomer: { id: "U0LATE", name: "lena", is_admin: true },
} satisfies Record<string, SlackUserFixture>;

/** Given to the bot as SLACK_ADMIN_USER_IDS. */
export const configuredAdmins = [people.configured.id];

/** A Slack user's credential: custom / slack / <user id>. */
export const slackSubject = (userId: string): Subject => ({
  kind: "credential",
  identifier: { type: "custom", source: "slack", value: userId },
});
