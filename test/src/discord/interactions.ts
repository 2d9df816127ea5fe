import { randomBytes } from "node:crypto";
import { APPLICATION_ID } from "./local-discord.ts";

export const GUILD_ID = "920000000000000001";
export const CHANNEL_ID = "920000000000000002";
export const COMMAND_ID = "920000000000000003";
export const MANAGE_GUILD = 1n << 5n;
const SEND_MESSAGES = 1n << 11n;
const VIEW_CHANNEL = 1n << 10n;
export const MEMBER_PERMISSIONS = SEND_MESSAGES | VIEW_CHANNEL;

export interface UserFixture {
  id: string;
  username: string;
  bot?: boolean;
}

export interface MemberFixture extends UserFixture {
  permissions?: bigint;
  roles?: string[];
}

let counter = 0n;

/** A fresh snowflake-shaped interaction id. */
export function interactionId(): string {
  counter += 1n;
  return String(1_300_000_000_000_000_000n + BigInt(Date.now()) * 1000n + counter);
}

function user(u: UserFixture) {
  return {
    id: u.id,
    username: u.username,
    discriminator: "0",
    global_name: u.username[0]?.toUpperCase() + u.username.slice(1),
    avatar: null,
    ...(u.bot ? { bot: true } : {}),
    public_flags: 0,
  };
}

export interface RoleFixture {
  role: true;
  id: string;
  name: string;
}

type OptionValue = string | number | UserFixture | RoleFixture;

/**
 * An `INTERACTION_CREATE` payload for `/points <sub>` as Discord sends it from a guild text channel: the invoking
 * member with their permission bitfield and roles, typed options, and resolved users for user options.
 */
export function pointsInteraction(
  invoker: MemberFixture,
  sub: string,
  options: Record<string, OptionValue> = {},
  extra: { id?: string; guildId?: string | null; type?: 2 | 4; focused?: string } = {},
): Record<string, unknown> {
  const id = extra.id ?? interactionId();
  const guildId = extra.guildId === undefined ? GUILD_ID : extra.guildId;
  const resolvedUsers: Record<string, unknown> = {};
  const resolvedMembers: Record<string, unknown> = {};
  const resolvedRoles: Record<string, unknown> = {};
  const typed = Object.entries(options).map(([name, value]) => {
    if (typeof value === "object" && "role" in value) {
      resolvedRoles[value.id] = {
        id: value.id,
        name: value.name,
        color: 0,
        hoist: false,
        position: 1,
        permissions: "0",
        managed: false,
        mentionable: true,
        flags: 0,
      };
      return { name, type: 8, value: value.id };
    }
    if (typeof value === "object") {
      resolvedUsers[value.id] = user(value);
      resolvedMembers[value.id] = { roles: [], joined_at: "2024-01-01T00:00:00.000Z", permissions: "0", flags: 0 };
      return { name, type: 6, value: value.id };
    }
    const option = { name, type: typeof value === "number" ? 4 : 3, value };
    return extra.focused === name ? { ...option, focused: true } : option;
  });
  const member = {
    user: user(invoker),
    roles: invoker.roles ?? [],
    permissions: String(invoker.permissions ?? MEMBER_PERMISSIONS),
    joined_at: "2024-01-01T00:00:00.000Z",
    premium_since: null,
    deaf: false,
    mute: false,
    flags: 0,
    pending: false,
    nick: null,
    avatar: null,
  };
  return {
    id,
    application_id: APPLICATION_ID,
    type: extra.type ?? 2,
    token: `aW50ZXJhY3Rpb246${id}:${randomBytes(24).toString("base64url")}`,
    version: 1,
    locale: "en-US",
    app_permissions: String(MEMBER_PERMISSIONS),
    entitlements: [],
    ...(guildId
      ? {
          guild_id: guildId,
          guild_locale: "en-US",
          guild: { id: guildId, locale: "en-US", features: [] },
          channel_id: CHANNEL_ID,
          channel: { id: CHANNEL_ID, type: 0, guild_id: guildId, name: "general", flags: 0, permissions: "0" },
          member,
          authorizing_integration_owners: { "0": guildId },
          context: 0,
        }
      : {
          user: user(invoker),
          channel_id: CHANNEL_ID,
          authorizing_integration_owners: { "1": invoker.id },
          context: 1,
        }),
    data: {
      id: COMMAND_ID,
      name: "points",
      type: 1,
      options: [{ name: sub, type: 1, options: typed }],
      ...(Object.keys(resolvedUsers).length + Object.keys(resolvedRoles).length > 0
        ? {
            resolved: {
              ...(Object.keys(resolvedUsers).length > 0 ? { users: resolvedUsers, members: resolvedMembers } : {}),
              ...(Object.keys(resolvedRoles).length > 0 ? { roles: resolvedRoles } : {}),
            },
          }
        : {}),
    },
  };
}

let reactionMessage = 0n;

/** A fresh message id for reactions. */
export function messageId(): string {
  reactionMessage += 1n;
  return String(1_310_000_000_000_000_000n + BigInt(Date.now()) * 1000n + reactionMessage);
}

/**
 * `MESSAGE_REACTION_ADD` as the gateway sends it from a guild (with the reacting member and the message's author id),
 * or `MESSAGE_REACTION_REMOVE` (no member, no author).
 */
export function reactionPayload(
  event: "MESSAGE_REACTION_ADD" | "MESSAGE_REACTION_REMOVE",
  reactor: MemberFixture,
  message: { id: string; authorId: string },
  emoji: { name: string; id?: string | null },
  guildId = GUILD_ID,
): Record<string, unknown> {
  const common = {
    user_id: reactor.id,
    type: 0,
    message_id: message.id,
    emoji: { id: emoji.id ?? null, name: emoji.name },
    channel_id: CHANNEL_ID,
    burst: false,
    guild_id: guildId,
  };
  if (event === "MESSAGE_REACTION_REMOVE") return common;
  return {
    ...common,
    message_author_id: message.authorId,
    burst_colors: [],
    member: {
      user: user(reactor),
      roles: reactor.roles ?? [],
      joined_at: "2024-01-01T00:00:00.000Z",
      premium_since: null,
      deaf: false,
      mute: false,
      flags: 0,
      pending: false,
      nick: null,
      avatar: null,
      communication_disabled_until: null,
    },
  };
}

/** The member record `GET /guilds/{guild}/members/{user}` answers for a fixture. */
export function memberRecord(u: UserFixture, joinedAt = "2024-01-01T00:00:00.000Z") {
  return { user: user(u), joined_at: joinedAt, roles: [] };
}
