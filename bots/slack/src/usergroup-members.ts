import type { App } from "@slack/bolt";
import type { SlackUserLookup } from "./slack-users.ts";

const LOOKUPS_AT_ONCE = 20;

/**
 * The people in a user group, from `usergroups.users.list` (scope `usergroups:read`), bots left out (a `users.info`
 * lookup each, cached). Stops once more than `cap` people are found: such a give is refused anyway.
 */
export async function usergroupMembers(
  client: App["client"],
  lookupUser: SlackUserLookup,
  logger: App["logger"],
  usergroup: string,
  cap: number,
): Promise<{ members: string[] } | { error: string }> {
  let users: string[];
  try {
    users = (await client.usergroups.users.list({ usergroup })).users ?? [];
  } catch (error) {
    const code = (error as { data?: { error?: string } }).data?.error;
    if (code === "missing_scope") {
      return {
        error: "Tally needs the usergroups:read scope: add it to the app (see bots/slack/manifest.yml) and reinstall.",
      };
    }
    if (code === "no_such_subteam") return { error: "Slack does not know that user group." };
    logger.warn(`usergroups.users.list for ${usergroup} failed: ${error instanceof Error ? error.message : error}`);
    return { error: "Slack did not list the group's members; try again in a moment." };
  }
  const members: string[] = [];
  for (let i = 0; i < users.length; i += LOOKUPS_AT_ONCE) {
    const batch = users.slice(i, i + LOOKUPS_AT_ONCE);
    const found = await Promise.all(batch.map((id) => lookupUser(client, id, logger)));
    batch.forEach((id, j) => {
      if (!found[j]?.isBot) members.push(id);
    });
    if (members.length > cap) break;
  }
  return { members };
}
