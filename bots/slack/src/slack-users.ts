import type { App } from "@slack/bolt";

export interface SlackUser {
  id: string;
  displayName?: string;
  isBot: boolean;
  /** Workspace admin or owner: may give and take points. */
  isAdmin: boolean;
}

type WebClient = App["client"];

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
