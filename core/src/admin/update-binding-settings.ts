import { type BotBinding, type BotPlatform, botBindings, type Database, type ReactionRule } from "@tally/db";
import { eq } from "drizzle-orm";
import { TallyError } from "../errors.ts";
import { checkReactionRules } from "../giving/set-reaction-rules.ts";
import { patchOwnBinding } from "./bot-bindings.ts";

const MAX_MANAGERS = 50;
// Discord role ids are snowflakes; Slack user ids are U… or W… (Enterprise Grid).
const DISCORD_ID = /^\d{1,20}$/;
const SLACK_USER_ID = /^[UW][A-Z0-9]{1,20}$/;

export interface BindingSettingsPatch {
  /** Discord: members with one of these roles are managers (besides Manage Server and Administrator). */
  managerRoleIds?: string[] | undefined;
  /** Slack: these users are managers (besides workspace admins and TALLY_SLACK_ADMIN_USER_IDS). */
  managerUserIds?: string[] | undefined;
  reactions?: ReactionRule[] | undefined;
}

/** The guilds and teams bound to one realm, Discord first. */
export const listRealmBindings = (db: Database, realmId: string): Promise<BotBinding[]> =>
  db
    .select()
    .from(botBindings)
    .where(eq(botBindings.realmId, realmId))
    .orderBy(botBindings.platform, botBindings.externalId);

function checkedIds(field: string, ids: string[], shape: RegExp, what: string): string[] {
  if (ids.length > MAX_MANAGERS) throw new TallyError("VALIDATION", `${field}: at most ${MAX_MANAGERS} ids.`);
  for (const id of ids) {
    if (!shape.test(id)) throw new TallyError("VALIDATION", `${field}: "${id}" is not ${what}.`);
  }
  return [...new Set(ids)];
}

/**
 * Changes the manager list and reaction rules of a guild or team already bound to `realmId`, keeping its other
 * settings. One UPDATE that merges into the stored settings and matches the realm: it never creates or rebinds a
 * binding, and a concurrent rebind to another realm wins cleanly (this call then finds nothing and changes nothing).
 */
export async function updateBindingSettings(
  db: Database,
  realmId: string,
  input: { platform: BotPlatform; externalId: string } & BindingSettingsPatch,
): Promise<BotBinding> {
  const patch: BindingSettingsPatch = {};
  if (input.managerRoleIds !== undefined) {
    if (input.platform !== "discord") throw new TallyError("VALIDATION", "managerRoleIds: Discord servers only.");
    patch.managerRoleIds = checkedIds("managerRoleIds", input.managerRoleIds, DISCORD_ID, "a Discord role id");
  }
  if (input.managerUserIds !== undefined) {
    if (input.platform !== "slack") throw new TallyError("VALIDATION", "managerUserIds: Slack workspaces only.");
    patch.managerUserIds = checkedIds("managerUserIds", input.managerUserIds, SLACK_USER_ID, "a Slack user id");
  }
  if (input.reactions !== undefined) {
    patch.reactions = await checkReactionRules(db, realmId, input.reactions);
  }
  const updated = await patchOwnBinding(db, realmId, input, patch);
  if (!updated) {
    const where = input.platform === "discord" ? "Discord server" : "Slack workspace";
    throw new TallyError("NOT_FOUND", `No ${where} "${input.externalId}" is bound to this realm.`);
  }
  return updated;
}
