import { accounts, type Credential, credentials, type Database, queryRows } from "@tally/db";
import { and, eq, sql } from "drizzle-orm";
import type { WriteContext } from "../context.ts";
import { TallyError } from "../errors.ts";
import { claimKey, requestHash, storeResult } from "../idempotency.ts";
import { describeIdentifier, type Identifier } from "../identities.ts";
import { newId } from "../ids.ts";
import { lockCredentials } from "../ledger/lock-subjects.ts";
import { inTransaction, pgCode } from "../transaction.ts";
import { getMember, mergeMetadata } from "./members.ts";

/** A credential as the credential routes answer it; `linked` when its account is a member. */
export type CredentialRow = Credential & { linked: boolean };

type Stored = Omit<CredentialRow, "createdAt"> & { createdAt: string };
const revive = (s: Stored): CredentialRow & { replayed: boolean } => ({
  ...s,
  createdAt: new Date(s.createdAt),
  replayed: true,
});

/**
 * Creates a credential: on a member's account when `accountId` names one, else unclaimed, with a new ghost account
 * holding its points until it is linked. An existing credential is a CONFLICT. Honours the write's idempotency key.
 */
export async function createCredential(
  db: Database,
  ctx: WriteContext,
  identifier: Identifier,
  input: { metadata?: Record<string, unknown> | undefined; accountId?: string | undefined },
): Promise<CredentialRow & { replayed: boolean }> {
  const metadata = input.metadata ?? null;
  const hash = requestHash("create-credential", { identifier, metadata, accountId: input.accountId ?? null });
  try {
    return await inTransaction(db, async (tx) => {
      if (ctx.idempotencyKey) {
        const stored = await claimKey<Stored>(tx, ctx.realmId, ctx.idempotencyKey, hash);
        if (stored) return revive(stored);
      }
      // A member's kind never changes, so checking it here cannot be raced.
      if (input.accountId) await getMember(tx, ctx.realmId, input.accountId);
      const accountId = input.accountId ?? newId();
      if (!input.accountId) await tx.insert(accounts).values({ id: accountId, realmId: ctx.realmId, kind: "ghost" });
      const [created] = await tx
        .insert(credentials)
        .values({ id: newId(), realmId: ctx.realmId, ...identifier, accountId, metadata })
        .returning();
      if (!created) throw new Error("credential insert returned nothing");
      const row = { ...created, linked: input.accountId !== undefined };
      if (ctx.idempotencyKey) await storeResult(tx, ctx.realmId, ctx.idempotencyKey, row);
      return { ...row, replayed: false };
    });
  } catch (error) {
    if (pgCode(error) === "23505") {
      throw new TallyError("CONFLICT", `The credential ${describeIdentifier(identifier)} already exists.`);
    }
    throw error;
  }
}

/** The credential with this identifier, or NOT_FOUND. */
export async function getCredential(db: Database, realmId: string, identifier: Identifier): Promise<CredentialRow> {
  const [row] = await db
    .select({ credential: credentials, kind: accounts.kind })
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
  if (!row) throw new TallyError("NOT_FOUND", `No credential ${describeIdentifier(identifier)} in this realm.`);
  return { ...row.credential, linked: row.kind === "member" };
}

/**
 * Deletes a credential whose account holds no balance (Tally verifies no credential, so every one is "non-verified"
 * in Drip's words). The credential row is locked first, as every writer does, so a credit racing the delete either
 * commits before it (and the delete is a CONFLICT) or waits and then finds no credential (and creates a new ghost).
 */
export async function deleteCredential(
  db: Database,
  ctx: WriteContext,
  identifier: Identifier,
): Promise<CredentialRow & { replayed: boolean }> {
  const hash = requestHash("delete-credential", identifier);
  return inTransaction(db, async (tx) => {
    if (ctx.idempotencyKey) {
      const stored = await claimKey<Stored>(tx, ctx.realmId, ctx.idempotencyKey, hash);
      if (stored) return revive(stored);
    }
    const found = await getCredential(tx, ctx.realmId, identifier);
    const holder = (await lockCredentials(tx, [found.id])).get(found.id);
    if (!holder) throw new TallyError("NOT_FOUND", `No credential ${describeIdentifier(identifier)} in this realm.`);
    const [held] = await queryRows<{ n: string | number }>(
      tx,
      sql`SELECT count(*) AS n FROM balances WHERE account_id = ${holder.accountId} AND balance <> 0`,
    );
    if (Number(held?.n ?? 0) > 0) {
      throw new TallyError(
        "CONFLICT",
        `The credential ${describeIdentifier(identifier)} ${holder.linked ? "belongs to a member that holds" : "holds"} a balance; only a credential without balances can be deleted.`,
      );
    }
    await tx.delete(credentials).where(eq(credentials.id, found.id));
    const row = { ...found, accountId: holder.accountId, linked: holder.linked };
    if (ctx.idempotencyKey) await storeResult(tx, ctx.realmId, ctx.idempotencyKey, row);
    return { ...row, replayed: false };
  });
}

/** Merges keys into a credential's metadata (null removes a key), the credential row locked. */
export async function updateCredentialMetadata(
  db: Database,
  ctx: WriteContext,
  identifier: Identifier,
  metadata: Record<string, unknown>,
): Promise<CredentialRow & { replayed: boolean }> {
  const hash = requestHash("credential-metadata", { identifier, metadata });
  return inTransaction(db, async (tx) => {
    if (ctx.idempotencyKey) {
      const stored = await claimKey<Stored>(tx, ctx.realmId, ctx.idempotencyKey, hash);
      if (stored) return revive(stored);
    }
    const found = await getCredential(tx, ctx.realmId, identifier);
    const [locked] = await tx.select().from(credentials).where(eq(credentials.id, found.id)).for("update");
    if (!locked) throw new TallyError("NOT_FOUND", `No credential ${describeIdentifier(identifier)} in this realm.`);
    const [updated] = await tx
      .update(credentials)
      .set({ metadata: mergeMetadata(locked.metadata, metadata) })
      .where(eq(credentials.id, found.id))
      .returning();
    if (!updated) throw new Error("credential metadata update returned nothing");
    const row = { ...updated, linked: found.linked };
    if (ctx.idempotencyKey) await storeResult(tx, ctx.realmId, ctx.idempotencyKey, row);
    return { ...row, replayed: false };
  });
}
