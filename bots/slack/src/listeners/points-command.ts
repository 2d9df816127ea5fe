import type { App, SlashCommand } from "@slack/bolt";
import {
  DEFAULT_BULK_MAX,
  neutralizeMentions,
  parsePointsText,
  type Reply,
  runPointsCommand,
  type Target,
} from "@tally/bot-commands";
import type { BalanceService } from "@tally/core";
import { quietMentions } from "../quiet-mentions.ts";
import { renderReply } from "../render-reply.ts";
import { cachedSlackUsers, type SlackUserLookup, USER_CACHE_MS } from "../slack-users.ts";
import { usergroupMembers } from "../usergroup-members.ts";

export interface PointsCommandOptions {
  core: BalanceService;
  /** Slack user ids that may give and take in every workspace, besides workspace admins and owners. */
  adminUserIds: readonly string[];
  /** How long a `users.info` answer is reused (default a minute). */
  userCacheMs?: number | undefined;
  /** TALLY_BULK_MAX: most members one user-group give may reach. */
  bulkMax?: number | undefined;
  /** TALLY_PUBLIC_URL, the base of the links `/points dashboard` sends. */
  publicUrl?: string | undefined;
}

/** `/points …`: ack at once (Slack gives up after 3 s), then do the work, then answer through `respond()`. */
export function registerPointsCommand(app: App, options: PointsCommandOptions): void {
  const lookupUser = cachedSlackUsers(options.userCacheMs ?? USER_CACHE_MS);
  app.command("/points", async ({ command, ack, respond, client, logger }) => {
    await ack();
    let reply: Reply;
    try {
      reply = await answer(command, { client, logger, lookupUser }, options);
    } catch (error) {
      logger.error(error);
      reply = {
        visibility: "ephemeral",
        kind: "error",
        title: "Tally hit an internal error",
        lines: ["Nothing is known to have changed. Check `/points balance` before trying again."],
      };
    }
    await respond(renderReply(reply));
  });
}

interface SlackContext {
  client: App["client"];
  logger: App["logger"];
  lookupUser: SlackUserLookup;
}

async function answer(command: SlashCommand, slack: SlackContext, options: PointsCommandOptions): Promise<Reply> {
  const parsed = parsePointsText(command.text ?? "");
  if ("error" in parsed) {
    return {
      visibility: "ephemeral",
      kind: "error",
      title: "That command did not work",
      lines: [parsed.error, "Type `/points help` to see every command."],
    };
  }
  if (!command.trigger_id) {
    // Without it a retried command could apply twice; Slack always sends one, so this is not Slack.
    return {
      visibility: "ephemeral",
      kind: "error",
      title: "Missing trigger_id",
      lines: ["Send commands from Slack."],
    };
  }
  const binding = await options.core.bindingFor("slack", command.team_id);
  const [invoker, cmd] = await Promise.all([
    parsed.name === "help" ? undefined : slack.lookupUser(slack.client, command.user_id, slack.logger),
    "target" in parsed && parsed.target?.kind === "member"
      ? describeMember(parsed.target, slack).then((target) => ({ ...parsed, target }))
      : parsed,
  ]);
  const isManager =
    options.adminUserIds.includes(command.user_id) ||
    (binding.settings.managerUserIds ?? []).includes(command.user_id) ||
    (invoker?.isAdmin ?? false);
  const displayName = invoker?.displayName ?? command.user_name;
  const bulkMax = options.bulkMax ?? DEFAULT_BULK_MAX;
  let groupMembers: string[] | undefined;
  if ("target" in cmd && cmd.target?.kind === "group" && cmd.name === "give" && isManager) {
    const listed = await usergroupMembers(slack.client, slack.lookupUser, slack.logger, cmd.target.id, bulkMax);
    if ("error" in listed) {
      return { visibility: "ephemeral", kind: "error", title: "Cannot list that user group", lines: [listed.error] };
    }
    groupMembers = listed.members;
  }
  const reply = await runPointsCommand(options.core, {
    platform: "slack",
    realmId: binding.realmId,
    invoker: { id: command.user_id, ...(displayName ? { displayName } : {}), isManager },
    // Slack redelivers a command with the same trigger_id: it must apply once.
    idempotencyKey: `slack:${command.trigger_id}`,
    command: cmd,
    ...(groupMembers ? { groupMembers } : {}),
    bulkMax,
    publicUrl: options.publicUrl,
  });
  const recipient =
    (cmd.name === "give" || cmd.name === "take" || cmd.name === "tip" || cmd.name === "thank") &&
    cmd.target.kind === "member"
      ? cmd.target.id
      : undefined;
  return quietMentions(reply, recipient, async (id) => {
    const name = (await slack.lookupUser(slack.client, id, slack.logger))?.displayName;
    return name ? neutralizeMentions("slack", name) : undefined;
  });
}

/** Bots cannot hold points, and replies read better with names: ask Slack about the mentioned person. */
async function describeMember(target: Extract<Target, { kind: "member" }>, slack: SlackContext): Promise<Target> {
  const user = await slack.lookupUser(slack.client, target.id, slack.logger);
  if (!user) return target;
  return { ...target, isBot: user.isBot, ...(user.displayName ? { displayName: user.displayName } : {}) };
}
