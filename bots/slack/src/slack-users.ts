import type { App } from "@slack/bolt";

export interface SlackUser {
  id: string;
  displayName?: string;
  isBot: boolean;
  /** Workspace admin or owner: may give and take points. */
  isAdmin: boolean;
}

type WebClient = App["client"];

export type SlackUserLookup = (client: WebClient, id: string, logger: App["logger"]) => Promise<SlackUser | undefined>;

/** How long Slack's answer about a user is trusted: a command asks about its invoker and often its target. */
export const USER_CACHE_MS = 60_000;
const MAX_CACHED_USERS = 10_000;

/**
 * `lookupSlackUser` remembered per user id for `ttlMs`, so a command costs no `users.info` round trip for anyone seen
 * in the last minute (a new admin or a revoked one takes effect within that minute). Concurrent lookups of one user
 * share a request; failures are not remembered.
 */
export function cachedSlackUsers(ttlMs = USER_CACHE_MS, now: () => number = Date.now): SlackUserLookup {
  const cache = new Map<string, { expires: number; user: Promise<SlackUser | undefined> }>();
  return (client, id, logger) => {
    const at = now();
    const hit = cache.get(id);
    if (hit && hit.expires > at) return hit.user;
    const user = lookupSlackUser(client, id, logger);
    // Re-inserting keeps the map in age order, so the oldest entry is the first to go when it is full.
    cache.delete(id);
    cache.set(id, { expires: at + ttlMs, user });
    if (cache.size > MAX_CACHED_USERS) cache.delete(cache.keys().next().value as string);
    void user.then((found) => {
      if (!found && cache.get(id)?.user === user) cache.delete(id);
    });
    return user;
  };
}

/**
 * One user from `users.info` (scope `users:read`). Returns undefined when Slack cannot say, so callers fall back to
 * the configured manager list rather than failing the command.
 */
export async function lookupSlackUser(
  client: WebClient,
  id: string,
  logger: App["logger"],
): Promise<SlackUser | undefined> {
  try {
    const { user } = await client.users.info({ user: id });
    if (!user) return undefined;
    const displayName = user.profile?.display_name || user.profile?.real_name || user.real_name || user.name;
    return {
      id,
      ...(displayName ? { displayName } : {}),
      // Slackbot is not flagged is_bot, but it is no more a person than an app is.
      isBot: Boolean(user.is_bot) || id === "USLACKBOT",
      isAdmin: Boolean(user.is_admin || user.is_owner || user.is_primary_owner),
    };
  } catch (error) {
    logger.warn(`users.info for ${id} failed: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}
