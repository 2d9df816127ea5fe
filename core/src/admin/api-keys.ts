import { type ApiKey, apiKeys, type Database } from "@tally/db";
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { newApiKey, newId, sha256 } from "../ids.ts";

/** Creates a key; the plain key is in the result only, never stored (SHA-256 is). */
export async function createApiKey(
  db: Database,
  realmId: string,
  input: { name: string; key?: string | undefined },
): Promise<{ key: string; apiKey: ApiKey }> {
  const key = input.key ?? newApiKey();
  const [apiKey] = await db
    .insert(apiKeys)
    .values({ id: newId(), realmId, name: input.name, keyHash: sha256(key), prefix: key.slice(0, 8) })
    .returning();
  if (!apiKey) throw new Error("api key insert returned nothing");
  return { key, apiKey };
}

/** The realm a key belongs to, or undefined for an unknown or revoked key. */
export async function authenticateApiKey(db: Database, key: string): Promise<ApiKey | undefined> {
  const [row] = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, sha256(key)), isNull(apiKeys.revokedAt)));
  return row;
}

export const listApiKeys = (db: Database, realmId: string): Promise<ApiKey[]> =>
  db.select().from(apiKeys).where(eq(apiKeys.realmId, realmId)).orderBy(asc(apiKeys.createdAt));

/** Told the revoked key's SHA-256 when the revocation commits, so every process drops it from its cache at once. */
export const API_KEY_REVOKED_CHANNEL = "tally_api_key_revoked";

export async function revokeApiKey(db: Database, realmId: string, id: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(apiKeys)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiKeys.realmId, realmId), eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
      .returning({ keyHash: apiKeys.keyHash });
    if (row) await tx.execute(sql`SELECT pg_notify(${API_KEY_REVOKED_CHANNEL}, ${row.keyHash})`);
    return row !== undefined;
  });
}
