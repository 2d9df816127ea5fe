import { accounts, credentials, type Database } from "@tally/db";
import { and, eq } from "drizzle-orm";
import { TransactionRollbackError } from "drizzle-orm/errors";
import type { Identifier } from "../identities.ts";
import { newId } from "../ids.ts";

export interface ResolvedCredential {
  credentialId: string;
  accountId: string;
  linked: boolean;
}

export async function findCredential(
  db: Database,
  realmId: string,
  identifier: Identifier,
): Promise<ResolvedCredential | undefined> {
  const [row] = await db
    .select({ credentialId: credentials.id, accountId: credentials.accountId, kind: accounts.kind })
    .from(credentials)
    .innerJoin(accounts, eq(accounts.id, credentials.accountId))
    .where(
      and(
        eq(credentials.realmId, realmId),
        eq(credentials.type, identifier.type),
        eq(credentials.source, identifier.source),
        eq(credentials.value, identifier.value),
      ),
    );
  return row && { credentialId: row.credentialId, accountId: row.accountId, linked: row.kind === "member" };
}

/**
 * Returns the credential, creating it with a ghost account when unknown, so people can be rewarded before they sign
 * up. The account and credential are created together or not at all; a concurrent creator wins and is returned.
 */
export async function ensureCredential(
  db: Database,
  realmId: string,
  identifier: Identifier,
): Promise<ResolvedCredential> {
  const existing = await findCredential(db, realmId, identifier);
  if (existing) return existing;
  try {
    return await db.transaction(async (tx) => {
      const accountId = newId();
      await tx.insert(accounts).values({ id: accountId, realmId, kind: "ghost" });
      const [created] = await tx
        .insert(credentials)
        .values({ id: newId(), realmId, ...identifier, accountId })
        .onConflictDoNothing()
        .returning({ id: credentials.id });
      if (!created) tx.rollback();
      return { credentialId: created?.id ?? "", accountId, linked: false };
    });
  } catch (error) {
    if (!(error instanceof TransactionRollbackError)) throw error;
    const winner = await findCredential(db, realmId, identifier);
    if (!winner) throw new Error("credential neither created nor found");
    return winner;
  }
}
