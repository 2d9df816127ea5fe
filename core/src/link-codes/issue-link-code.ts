import { type Database, linkCodes } from "@tally/db";
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Identifier } from "../identities.ts";
import { ensureCredential } from "../ledger/ensure-credential.ts";
import { inTransaction } from "../transaction.ts";
import { hashLinkCode, LINK_CODE_TTL_MS, newLinkCode } from "./link-code-format.ts";

export interface IssuedLinkCode {
  /** Shown once: only its hash is stored. */
  code: string;
  expiresAt: Date;
  credentialId: string;
}

/**
 * A one-time code bound to the realm and this credential (created as a ghost when unknown, so a newcomer can link
 * first and earn later). A new code replaces the credential's unused ones, so only the latest one shown works.
 */
export async function issueLinkCode(
  db: Database,
  realmId: string,
  identifier: Identifier,
  now: Date,
): Promise<IssuedLinkCode> {
  const credential = await ensureCredential(db, realmId, identifier);
  const expiresAt = new Date(now.getTime() + LINK_CODE_TTL_MS);
  return inTransaction(db, async (tx) => {
    // Issues for one credential take turns: each delete saw only its own snapshot, so two at once left both codes.
    await tx.execute(sql`SELECT 1 FROM credentials WHERE id = ${credential.credentialId} FOR UPDATE`);
    await tx
      .delete(linkCodes)
      .where(and(eq(linkCodes.credentialId, credential.credentialId), isNull(linkCodes.usedAt)));
    for (;;) {
      const code = newLinkCode();
      const [stored] = await tx
        .insert(linkCodes)
        .values({
          codeHash: hashLinkCode(code),
          realmId,
          credentialId: credential.credentialId,
          expiresAt,
          createdAt: now,
        })
        .onConflictDoNothing()
        .returning({ codeHash: linkCodes.codeHash });
      // A collision with a stored code (used ones are kept) is astronomically rare: draw again.
      if (stored) return { code, expiresAt, credentialId: credential.credentialId };
    }
  });
}
