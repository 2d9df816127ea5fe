import { type BotBinding, type BotPlatform, botBindings, type Database } from "@tally/db";
import { and, eq, type SQL, sql } from "drizzle-orm";
import { TallyError } from "../errors.ts";
import { getRealm } from "./realms.ts";

/** The realm every unbound guild and team uses. */
export const BOOTSTRAP_REALM = "default";

export type BindingSettings = BotBinding["settings"];

/** The stored settings with `patch`'s keys replaced, merged inside the statement that writes them (never read first). */
export const mergedSettings = (patch: Partial<BindingSettings>): SQL =>
  sql`${botBindings.settings} || ${JSON.stringify(patch)}::jsonb`;

/**
 * Merges `patch` into the settings of a guild or team bound to `realmId`, in one UPDATE that matches the realm: it
 * never creates or rebinds a binding, and undefined means it is not this realm's (a concurrent rebind wins cleanly).
 */
export async function patchOwnBinding(
  db: Database,
  realmId: string,
  key: { platform: BotPlatform; externalId: string },
  patch: Partial<BindingSettings>,
): Promise<BotBinding | undefined> {
  const [updated] = await db
    .update(botBindings)
    .set({ settings: mergedSettings(patch) })
    .where(
      and(
        eq(botBindings.platform, key.platform),
        eq(botBindings.externalId, key.externalId),
        eq(botBindings.realmId, realmId),
      ),
    )
    .returning();
  return updated;
}

export async function bindBot(
  db: Database,
  input: { platform: BotPlatform; externalId: string; realmId: string; settings?: BindingSettings | undefined },
): Promise<BotBinding> {
  if (!(await getRealm(db, input.realmId))) throw new TallyError("NOT_FOUND", `No realm "${input.realmId}".`);
  const settings = input.settings ?? {};
  const [binding] = await db
    .insert(botBindings)
    .values({ ...input, settings })
    .onConflictDoUpdate({
      target: [botBindings.platform, botBindings.externalId],
      set: { realmId: input.realmId, settings },
    })
    .returning();
  if (!binding) throw new Error("binding upsert returned nothing");
  return binding;
}

/** The binding of a guild or team; an unbound one maps to the bootstrap realm with no extra settings. */
export async function bindingFor(
  db: Database,
  platform: BotPlatform,
  externalId: string,
): Promise<{ realmId: string; settings: BindingSettings }> {
  const [binding] = await db
    .select()
    .from(botBindings)
    .where(and(eq(botBindings.platform, platform), eq(botBindings.externalId, externalId)));
  return binding ?? { realmId: BOOTSTRAP_REALM, settings: {} };
}

export const listBindings = (db: Database): Promise<BotBinding[]> => db.select().from(botBindings);
