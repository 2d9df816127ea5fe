import {
  type Invocation,
  type PointsCommand,
  parseEntryId,
  parseTarget,
  type Reply,
  runPointsCommand,
  type Target,
} from "@tally/bot-commands";
import type { BalanceService } from "@tally/core";
import { PermissionFlagsBits } from "discord.js";
import type { PointsRequest } from "./points-request.ts";

const fail = (title: string, ...lines: string[]): Reply => ({ visibility: "ephemeral", kind: "error", title, lines });

/**
 * Shared by the gateway and the HTTP endpoint: the guild's realm and manager roles, who is a manager, the command
 * in the platform-neutral shape, and the reply from bots/commands.
 */
export async function dispatchPoints(
  core: BalanceService,
  request: PointsRequest,
  options: { publicUrl?: string | undefined } = {},
): Promise<Reply> {
  if (!request.guildId) {
    return fail("Use /points in a server", "Points belong to a server's realm, so /points does not work in DMs.");
  }
  const command = toCommand(request);
  if ("error" in command) return fail("That command did not work", command.error);
  const binding = await core.bindingFor("discord", request.guildId);
  const invocation: Invocation = {
    platform: "discord",
    realmId: binding.realmId,
    invoker: {
      id: request.invoker.id,
      ...(request.invoker.displayName ? { displayName: request.invoker.displayName } : {}),
      isManager: isManager(request.invoker, binding.settings.managerRoleIds ?? []),
    },
    idempotencyKey: `discord:${request.interactionId}`,
    command,
    publicUrl: options.publicUrl,
  };
  return runPointsCommand(core, invocation);
}

/** Manage Server (or Administrator, which implies it), or one of the roles the guild's binding names. */
export function isManager(invoker: PointsRequest["invoker"], managerRoleIds: readonly string[]): boolean {
  const managePerm = PermissionFlagsBits.ManageGuild | PermissionFlagsBits.Administrator;
  return (invoker.permissions & managePerm) !== 0n || invoker.roleIds.some((role) => managerRoleIds.includes(role));
}

function toCommand(request: PointsRequest): PointsCommand | { error: string } {
  const currency = request.currency?.trim() ? { currencyId: request.currency.trim() } : {};
  const target = request.user
    ? {
        kind: "member" as const,
        platform: "discord" as const,
        id: request.user.id,
        isBot: request.user.bot,
        ...(request.user.displayName ? { displayName: request.user.displayName } : {}),
      }
    : undefined;
  const name = request.subcommand;
  switch (name) {
    case "give":
    case "take":
    case "tip": {
      const whom = chosenTarget(target, request.to, name);
      if ("error" in whom) return whom;
      // Discord enforces required options, but a stale registration could still send a command without them.
      if (request.amount === undefined) return { error: `Say how many with the amount option (1 or more).` };
      const reason = request.reason?.trim() ? { reason: request.reason.trim() } : {};
      return { name, target: whom, amount: request.amount, ...reason, ...currency };
    }
    case "balance":
    case "history":
      return { name, ...(target ? { target } : {}), ...currency };
    case "leaderboard":
      return { name, ...currency };
    case "undo": {
      if (!request.entry?.trim()) return { name };
      const entryId = parseEntryId(request.entry);
      return typeof entryId === "string" ? { name, entryId } : entryId;
    }
    case "link":
      return request.code?.trim() ? { name, code: request.code.trim() } : { name };
    case "whoami":
    case "dashboard":
    case "help":
      return { name };
    default:
      return {
        error: `Unknown subcommand "${name}". Try /points help; an admin may need to run \`pnpm tally discord register\`.`,
      };
  }
}

const DISCORD_MENTION = /^<@!?(\d{17,20})>$/;

/** The user option, or the `to` text (an identity on another platform, an email, a user id); exactly one of them. */
function chosenTarget(user: Target | undefined, to: string | undefined, name: string): Target | { error: string } {
  const text = to?.trim();
  if (user && text) return { error: "Name one recipient: either the user option or to:, not both." };
  if (user) return user;
  if (!text) {
    return {
      error: `Choose who with the user option (/points ${name} user:@member amount:10) or to: (to:slack:U123, email:ada@example.com, user:<user_id>).`,
    };
  }
  const mention = DISCORD_MENTION.exec(text)?.[1];
  if (mention) return { kind: "member", platform: "discord", id: mention };
  return parseTarget(text);
}
