import { type Database, givingRules } from "@tally/db";
import { eq } from "drizzle-orm";
import { TallyError } from "../errors.ts";

/** A realm's anti-abuse rules for thanks and reactions; each is off (null) unless the realm sets it. */
export interface GivingRules {
  giveCooldownSeconds: number | null;
  /** Whole units one giver may give one target per day, per currency. */
  dailyCapPerTarget: number | null;
  minAccountAgeMinutes: number | null;
  commandsPerMinute: number | null;
}

export const NO_RULES: GivingRules = {
  giveCooldownSeconds: null,
  dailyCapPerTarget: null,
  minAccountAgeMinutes: null,
  commandsPerMinute: null,
};

const LIMITS: Record<keyof GivingRules, number> = {
  giveCooldownSeconds: 7 * 24 * 3600,
  dailyCapPerTarget: Number.MAX_SAFE_INTEGER,
  minAccountAgeMinutes: 365 * 24 * 60,
  commandsPerMinute: 10_000,
};

type Row = typeof givingRules.$inferSelect;

const rulesOf = (row: Row): GivingRules => ({
  giveCooldownSeconds: row.giveCooldownSeconds,
  dailyCapPerTarget: row.dailyCapPerTarget === null ? null : Number(row.dailyCapPerTarget),
  minAccountAgeMinutes: row.minAccountAgeMinutes,
  commandsPerMinute: row.commandsPerMinute,
});

export async function getGivingRules(db: Database, realmId: string): Promise<GivingRules> {
  const [row] = await db.select().from(givingRules).where(eq(givingRules.realmId, realmId));
  return row ? rulesOf(row) : NO_RULES;
}

/**
 * Changes the rules named in `patch` (null turns one off) and leaves the others as they are. One statement: reading
 * the rules first and writing them all back lost a rule another admin changed in between.
 */
export async function setGivingRules(db: Database, realmId: string, patch: Partial<GivingRules>): Promise<GivingRules> {
  const changes: Partial<Omit<Row, "realmId">> = { updatedAt: new Date() };
  for (const [name, value] of Object.entries(patch) as [keyof GivingRules, number | null | undefined][]) {
    if (!(name in LIMITS)) throw new TallyError("VALIDATION", `Unknown giving rule "${name}".`);
    if (value === undefined) continue;
    if (value !== null && (!Number.isSafeInteger(value) || value < 1 || value > LIMITS[name])) {
      throw new TallyError("VALIDATION", `${name} is a whole number from 1 to ${LIMITS[name]}, or null for off.`);
    }
    if (name === "dailyCapPerTarget") changes.dailyCapPerTarget = value === null ? null : BigInt(value);
    else changes[name] = value;
  }
  const [row] = await db
    .insert(givingRules)
    .values({ realmId, ...changes })
    .onConflictDoUpdate({ target: givingRules.realmId, set: changes })
    .returning();
  return rulesOf(row as Row);
}
