import { DiscordAPIError, type REST, RESTJSONErrorCodes, Routes } from "discord.js";

const PAGE = 1000;

export type RoleMembers = (
  guildId: string,
  roleId: string,
  cap: number,
) => Promise<{ members: string[]; more: boolean } | { error: string }>;

export const MEMBERS_INTENT_HELP =
  "Giving to a role lists the server's members, which Discord allows only with the Server Members Intent: turn it on " +
  "in the Developer Portal (your app → Bot → Privileged Gateway Intents → Server Members Intent), then set " +
  "DISCORD_MEMBERS_INTENT=true and restart Tally.";

/**
 * Lists a role's members through REST `GET /guilds/{id}/members`, 1,000 a page in id order, bots left out (the
 * `@everyone` role, whose id is the guild's, is everyone). Stops once more than `cap` are found: such a give is
 * refused anyway. Discord refuses the listing unless the app has the Server Members intent.
 */
export function roleMemberLister(rest: REST): RoleMembers {
  return async (guildId, roleId, cap) => {
    const members: string[] = [];
    let after = "0";
    try {
      for (;;) {
        const page = (await rest.get(Routes.guildMembers(guildId), {
          query: new URLSearchParams({ limit: String(PAGE), after }),
        })) as { user?: { id: string; bot?: boolean }; roles: string[] }[];
        for (const member of page) {
          if (!member.user || member.user.bot) continue;
          if (roleId === guildId || member.roles.includes(roleId)) members.push(member.user.id);
        }
        if (members.length > cap) return { members, more: true };
        const last = page.at(-1)?.user?.id;
        if (page.length < PAGE || !last) return { members, more: false };
        after = last;
      }
    } catch (error) {
      if (
        error instanceof DiscordAPIError &&
        (error.code === RESTJSONErrorCodes.MissingAccess || error.status === 403)
      ) {
        return { error: MEMBERS_INTENT_HELP };
      }
      throw error;
    }
  };
}
