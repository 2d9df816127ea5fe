import { currencies, type Database, type Realm, realms } from "@tally/db";
import { and, asc, eq, sql } from "drizzle-orm";
import { TallyError } from "../errors.ts";
import { newId } from "../ids.ts";
import { pgCode } from "../transaction.ts";

const REALM_ID = /^[a-zA-Z0-9_-]{1,64}$/;

/** Creates a realm with its default currency (`points` unless named). */
export async function createRealm(
  db: Database,
  input: { name: string; id?: string | undefined; currencyName?: string | undefined },
): Promise<Realm> {
  const id = input.id ?? newId();
  if (!REALM_ID.test(id)) throw new TallyError("VALIDATION", "A realm id is 1-64 letters, digits, '-' or '_'.");
  const name = input.name.trim();
  if (!name) throw new TallyError("VALIDATION", "A realm needs a name.");
  return db.transaction(async (tx) => {
    const [realm] = await tx.insert(realms).values({ id, name }).onConflictDoNothing().returning();
    if (!realm) throw new TallyError("CONFLICT", `A realm with id "${id}" already exists.`);
    await tx
      .insert(currencies)
      .values({ id: newId(), realmId: id, name: input.currencyName ?? "points", isDefault: true });
    return realm;
  });
}

export const listRealms = (db: Database): Promise<Realm[]> => db.select().from(realms).orderBy(asc(realms.createdAt));

export async function getRealm(db: Database, id: string): Promise<Realm | undefined> {
  const [realm] = await db.select().from(realms).where(eq(realms.id, id));
  return realm;
}

/** True for an IANA zone name the runtime knows (`Europe/Berlin`, `UTC`); abbreviations like `CEST` are not zones. */
export function isTimeZone(name: string): boolean {
  if (!/^[A-Za-z][\w+-]*(\/[\w+-]+)*$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The realm settings a manager may change; a field left out keeps its value. */
export interface RealmSettings {
  /** IANA zone where days, weeks (from Monday) and months of period leaderboards start; null goes back to UTC. */
  timezone?: string | null | undefined;
  /** Whether `/r/{realmId}` shows the realm's leaderboard (names and amounts only) to anyone. */
  publicLeaderboard?: boolean | undefined;
}

/**
 * Changes realm settings in one statement. The database must know a new time zone too, as it computes the period
 * boundaries: the update is conditional on it, so an unknown zone changes nothing.
 */
export async function updateRealmSettings(db: Database, id: string, settings: RealmSettings): Promise<Realm> {
  const { timezone, publicLeaderboard } = settings;
  if (timezone === undefined && publicLeaderboard === undefined) {
    throw new TallyError("VALIDATION", "Name at least one setting to change: timezone or publicLeaderboard.");
  }
  if (typeof timezone === "string" && !isTimeZone(timezone)) {
    throw new TallyError(
      "VALIDATION",
      `timezone: "${timezone.slice(0, 64)}" is not an IANA time zone; use a name like "Europe/Berlin" or "UTC".`,
    );
  }
  try {
    const [realm] = await db
      .update(realms)
      .set({
        ...(timezone !== undefined && { timezone }),
        ...(publicLeaderboard !== undefined && { publicLeaderboard }),
        updatedAt: new Date(),
      })
      .where(
        and(
          eq(realms.id, id),
          typeof timezone === "string" ? sql`(now() AT TIME ZONE ${timezone}) IS NOT NULL` : sql`true`,
        ),
      )
      .returning();
    if (!realm) throw new TallyError("NOT_FOUND", `No realm "${id}".`);
    return realm;
  } catch (error) {
    // 22023: PostgreSQL does not know the zone although the runtime does.
    if (pgCode(error) === "22023") {
      throw new TallyError("VALIDATION", `timezone: the database does not know the time zone "${timezone}".`);
    }
    throw error;
  }
}

/** Sets the realm's time zone (see updateRealmSettings); null goes back to UTC. */
export const setRealmTimezone = (db: Database, id: string, timezone: string | null): Promise<Realm> =>
  updateRealmSettings(db, id, { timezone });
