import { accounts, balances, credentials, currencies, type Database } from "@tally/db";
import { and, asc, eq, ne } from "drizzle-orm";
import type { WriteContext } from "../context.ts";
import { TallyError } from "../errors.ts";
import { claimKey, requestHash, storeResult } from "../idempotency.ts";
import type { Identifier } from "../identities.ts";
import { newId } from "../ids.ts";
import { inTransaction } from "../transaction.ts";
import { applyDeltas } from "./apply-deltas.ts";
import { type BalanceChange, replayedChange, type StoredChange, storeChange } from "./balance-change.ts";
import { findCredential } from "./ensure-credential.ts";
import { lockCredentials } from "./lock-subjects.ts";

export type LinkTarget = { userId: string } | { accountId: string };

export interface LinkResult {
  credentialId: string;
  accountId: string;
  /** Entries written on the member account for the ghost balances it took over. */
  moved: BalanceChange[];
  replayed: boolean;
}

/**
 * Links a credential to a member account, one way: a ghost credential's balances move into the member account
 * (an entry on each side, one transaction) and later deltas land on the member directly. A credential linked to
 * another member is CONFLICT; linking it again to the same member changes nothing.
 */
export async function linkCredential(
  db: Database,
  ctx: WriteContext,
  identifier: Identifier,
  target: LinkTarget,
): Promise<LinkResult> {
  const key = ctx.idempotencyKey;
  const hash = requestHash("link", { identifier, target });
  return inTransaction(db, async (tx) => {
    if (key) {
      const stored = await claimKey<{ credentialId: string; accountId: string; moved: StoredChange[] }>(
        tx,
        ctx.realmId,
        key,
        hash,
      );
      if (stored) return { ...stored, moved: stored.moved.map(replayedChange), replayed: true };
    }
    const [member] = await tx
      .select({ id: accounts.id })
      .from(accounts)
      .where(
        and(
          eq(accounts.realmId, ctx.realmId),
          eq(accounts.kind, "member"),
          "userId" in target ? eq(accounts.userId, target.userId) : eq(accounts.id, target.accountId),
        ),
      );
    if (!member) {
      throw new TallyError(
        "NOT_FOUND",
        "userId" in target ? `No user with user_id "${target.userId}".` : `No member account "${target.accountId}".`,
      );
    }
    const result = await moveInto(tx, ctx, identifier, member.id);
    if (key) await storeResult(tx, ctx.realmId, key, { ...result, moved: result.moved.map(storeChange) });
    return { ...result, replayed: false };
  });
}

export async function moveInto(
  tx: Database,
  ctx: WriteContext,
  identifier: Identifier,
  memberId: string,
): Promise<Omit<LinkResult, "replayed">> {
  const known = await findCredential(tx, ctx.realmId, identifier);
  if (!known) {
    const id = newId();
    const [created] = await tx
      .insert(credentials)
      .values({ id, realmId: ctx.realmId, ...identifier, accountId: memberId })
      .onConflictDoNothing()
      .returning({ id: credentials.id });
    if (created) return { credentialId: id, accountId: memberId, moved: [] };
    // A concurrent writer created it first (its insert made ours wait): decide against the committed row below.
  }
  // The lock protocol: lock the credential row first and decide on its latest version, so of several concurrent links
  // exactly one finds it unlinked, and a credit racing this link either lands before (and is moved) or after.
  const credentialId = known?.credentialId ?? (await findCredential(tx, ctx.realmId, identifier))?.credentialId;
  const credential = credentialId ? (await lockCredentials(tx, [credentialId])).get(credentialId) : undefined;
  if (!credential || !credentialId) throw new Error("credential vanished while linking");
  if (credential.accountId === memberId) return { credentialId, accountId: memberId, moved: [] };
  if (credential.linked) {
    throw new TallyError("CONFLICT", "This credential is already linked to another account; linking is one-way.");
  }
  const ghostId = credential.accountId;
  // Then the ghost's balances, so a write on the ghost account itself waits and is moved too, or lands after.
  const held = await tx
    .select({ currency: currencies, balance: balances.balance })
    .from(balances)
    .innerJoin(currencies, eq(currencies.id, balances.currencyId))
    .where(and(eq(balances.accountId, ghostId), ne(balances.balance, 0n)))
    .orderBy(asc(balances.currencyId))
    .for("update", { of: balances });
  await tx.update(credentials).set({ accountId: memberId }).where(eq(credentials.id, credentialId));
  const changes = await applyDeltas(
    tx,
    ctx,
    held.flatMap(({ currency, balance }) => [
      { accountId: ghostId, credentialId, linked: false, currency, delta: -balance, kind: "link" as const },
      { accountId: memberId, credentialId, linked: true, currency, delta: balance, kind: "link" as const },
    ]),
  );
  return { credentialId, accountId: memberId, moved: changes.filter((c) => c.accountId === memberId) };
}
