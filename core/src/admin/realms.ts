import { currencies, type Database, type Realm, realms } from "@tally/db";
import { asc, eq } from "drizzle-orm";
import { TallyError } from "../errors.ts";
import { newId } from "../ids.ts";

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
