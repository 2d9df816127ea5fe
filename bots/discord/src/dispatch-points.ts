import {
  DEFAULT_BULK_MAX,
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
import { MEMBERS_INTENT_HELP, type RoleMembers } from "./list-role-members.ts";
import type { PointsRequest } from "./points-request.ts";

/** How `/points give role:` lists a role (gateway bots with DISCORD_MEMBERS_INTENT only) and how far it may reach. */
export interface GroupOptions {
  listRoleMembers?: RoleMembers | undefined;
  bulkMax?: number | undefined;
}

const fail = (title: string, ...lines: string[]): Reply => ({ visibility: "ephemeral", kind: "error", title, lines });

/**
 * Shared by the gateway and the HTTP endpoint: the guild's realm and manager roles, who is a manager, the command
 * in the platform-neutral shape, and the reply from bots/commands.
 */
export async function dispatchPoints(
  core: BalanceService,
  request: PointsRequest,
  group: GroupOptions = {},
  links: { publicUrl?: string | undefined } = {},
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
    ...(request.userJoinedAt ? { targetJoinedAt: new Date(request.userJoinedAt) } : {}),
    ...(group.bulkMax ? { bulkMax: group.bulkMax } : {}),
    publicUrl: links.publicUrl,
  };
  if (command.name === "give" && command.target.kind === "group" && invocation.invoker.isManager) {
    if (!group.listRoleMembers) return fail("Role gives are off", MEMBERS_INTENT_HELP);
    const listed = await group.listRoleMembers(request.guildId, command.target.id, group.bulkMax ?? DEFAULT_BULK_MAX);
    if ("error" in listed) return fail("Discord would not list the role's members", listed.error);
    return runPointsCommand(core, { ...invocation, groupMembers: listed.members });
  }
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
      const role = request.role
        ? { kind: "group" as const, platform: "discord" as const, id: request.role.id, name: request.role.name }
        : undefined;
      if (role && (target || request.to?.trim())) {
        return { error: "Name one recipient: the user, to: or role option, not several." };
      }
      const whom = role ?? chosenTarget(target, request.to, name);
      if ("error" in whom) return whom;
      // Discord enforces required options, but a stale registration could still send a command without them.
      if (request.amount === undefined) return { error: `Say how many with the amount option (1 or more).` };
      const reason = request.reason?.trim() ? { reason: request.reason.trim() } : {};
      return { name, target: whom, amount: request.amount, ...reason, ...currency };
    }
    case "thank": {
      if (!target) return { error: "Choose whom to thank with the user option: /points thank user:@member." };
      const reason = request.reason?.trim() ? { reason: request.reason.trim() } : {};
      return { name, target, amount: request.amount ?? 1, ...reason, ...currency };
    }
    case "allowance":
      return { name, ...currency };
    case "balance":
    case "history":
      return { name, ...(target ? { target } : {}), ...currency };
    case "leaderboard": {
      const period = request.period;
      if (period === undefined) return { name, ...currency };
      if (period !== "day" && period !== "week" && period !== "month" && period !== "all") {
        return { error: `"${period.slice(0, 20)}" is not a period: pick today, this week, this month or all time.` };
      }
      return { name, period, ...currency };
    }
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
