import { type Account, accounts, type Database } from "@tally/db";
import { and, asc, eq, gt, or, type SQL } from "drizzle-orm";
import type { WriteContext } from "../context.ts";
import { TallyError } from "../errors.ts";
import { claimKey, requestHash, storeResult } from "../idempotency.ts";
import { normalizeIdentifier } from "../identities.ts";
import { newId } from "../ids.ts";
import { moveInto } from "../ledger/link-credential.ts";
import { type Page, pageSize } from "../queries/history.ts";
import { inTransaction, pgCode } from "../transaction.ts";

export interface UserInput {
  userId?: string | undefined;
  email?: string | null | undefined;
  name?: string | null | undefined;
  metadata?: Record<string, unknown> | null | undefined;
}

const USER_ID = /^[\w.@:+-]{1,128}$/;

/** An account as a write returned it; `replayed` when it is the stored result of an earlier request with its key. */
export type UserResult = Account & { replayed: boolean };

/** Claims the write's idempotency key: the stored account of an earlier request with it, or undefined. */
async function replayedUser(tx: Database, ctx: WriteContext, hash: string): Promise<UserResult | undefined> {
  if (!ctx.idempotencyKey) return undefined;
  const stored = await claimKey<Account>(tx, ctx.realmId, ctx.idempotencyKey, hash);
  if (!stored) return undefined;
  return { ...stored, createdAt: new Date(stored.createdAt), updatedAt: new Date(stored.updatedAt), replayed: true };
}

async function storeUser(tx: Database, ctx: WriteContext, account: Account): Promise<UserResult> {
  if (ctx.idempotencyKey) await storeResult(tx, ctx.realmId, ctx.idempotencyKey, account);
  return { ...account, replayed: false };
}

/**
 * Creates a member account. With an email, the realm's `email` credential is linked to it (a ghost holding points
 * for that address hands them over), so the credit-style and credential-style doors share one balance.
 */
export async function createUser(db: Database, ctx: WriteContext, input: UserInput): Promise<UserResult> {
  const userId = input.userId ?? newId();
  if (!USER_ID.test(userId)) {
    throw new TallyError("VALIDATION", "A user_id is 1-128 letters, digits or . @ : + - _ characters.");
  }
  const email = input.email ? normalizeIdentifier("email", input.email) : undefined;
  const hash = requestHash("create-user", { ...input, email: email?.value });
  try {
    return await inTransaction(db, async (tx) => {
      const replayed = await replayedUser(tx, ctx, hash);
      if (replayed) return replayed;
      const [account] = await tx
        .insert(accounts)
        .values({
          id: newId(),
          realmId: ctx.realmId,
          kind: "member",
          userId,
          email: email?.value ?? null,
          name: input.name ?? null,
          metadata: input.metadata ?? null,
        })
        .onConflictDoNothing()
        .returning();
      if (!account) throw new TallyError("CONFLICT", `A user with user_id "${userId}" already exists.`);
      if (email) await moveInto(tx, ctx, email, account.id);
      return storeUser(tx, ctx, account);
    });
  } catch (error) {
    if (pgCode(error) === "23505") throw new TallyError("CONFLICT", `A user with user_id "${userId}" already exists.`);
    throw error;
  }
}

export async function getUser(db: Database, realmId: string, userId: string): Promise<Account> {
  const [account] = await db
    .select()
    .from(accounts)
    .where(and(eq(accounts.realmId, realmId), eq(accounts.userId, userId), eq(accounts.kind, "member")));
  if (!account) throw new TallyError("NOT_FOUND", `No user with user_id "${userId}".`);
  return account;
}

/** Updates name, email or metadata; a new email is linked like on creation (the old one stays linked). */
export async function updateUser(
  db: Database,
  ctx: WriteContext,
  userId: string,
  input: Omit<UserInput, "userId">,
): Promise<UserResult> {
  const email = input.email ? normalizeIdentifier("email", input.email) : undefined;
  const hash = requestHash("update-user", { userId, ...input, email: email?.value });
  return inTransaction(db, async (tx) => {
    const replayed = await replayedUser(tx, ctx, hash);
    if (replayed) return replayed;
    // Locked, so two concurrent updates compare against each other's email rather than a stale one.
    const [current] = await tx
      .select()
      .from(accounts)
      .where(and(eq(accounts.realmId, ctx.realmId), eq(accounts.userId, userId), eq(accounts.kind, "member")))
      .for("update");
    if (!current) throw new TallyError("NOT_FOUND", `No user with user_id "${userId}".`);
    const [account] = await tx
      .update(accounts)
      .set({
        ...(input.name !== undefined && { name: input.name }),
        ...(input.metadata !== undefined && { metadata: input.metadata }),
        ...(email && { email: email.value }),
        updatedAt: new Date(),
      })
      .where(eq(accounts.id, current.id))
      .returning();
    if (!account) throw new Error("user update returned nothing");
    if (email && email.value !== current.email) await moveInto(tx, ctx, email, account.id);
    return storeUser(tx, ctx, account);
  });
}

/** Member accounts oldest first, in cursor pages. */
export async function listUsers(
  db: Database,
  realmId: string,
  query: { cursor?: string | undefined; limit?: number | undefined } = {},
): Promise<Page<Account>> {
  const limit = pageSize(query.limit);
  const where: (SQL | undefined)[] = [eq(accounts.realmId, realmId), eq(accounts.kind, "member")];
  if (query.cursor) {
    const { createdAt, id } = decodeUserCursor(query.cursor);
    where.push(or(gt(accounts.createdAt, createdAt), and(eq(accounts.createdAt, createdAt), gt(accounts.id, id))));
  }
  const rows = await db
    .select()
    .from(accounts)
    .where(and(...where))
    .orderBy(asc(accounts.createdAt), asc(accounts.id))
    .limit(limit + 1);
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items,
    nextCursor:
      rows.length > limit && last
        ? Buffer.from(JSON.stringify([last.createdAt.toISOString(), last.id])).toString("base64url")
        : null,
  };
}

function decodeUserCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, "base64url").toString());
    const date = new Date(createdAt);
    if (typeof id === "string" && !Number.isNaN(date.getTime())) return { createdAt: date, id };
  } catch {}
  throw new TallyError("VALIDATION", "The cursor is not valid; pass back nextCursor.");
}
