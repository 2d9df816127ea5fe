import { accounts, credentials, type Database, linkCodes, queryRows } from "@tally/db";
import { eq, sql } from "drizzle-orm";
import type { WriteContext } from "../context.ts";
import { TallyError } from "../errors.ts";
import { claimKey, requestHash, storeResult } from "../idempotency.ts";
import { describeIdentifier, type Identifier } from "../identities.ts";
import { newId } from "../ids.ts";
import { type BalanceChange, replayedChange, type StoredChange, storeChange } from "../ledger/balance-change.ts";
import { findCredential } from "../ledger/ensure-credential.ts";
import { moveInto } from "../ledger/link-credential.ts";
import { lockCredentials } from "../ledger/lock-subjects.ts";
import { inTransaction } from "../transaction.ts";
import { hashLinkCode, normalizeLinkCode } from "./link-code-format.ts";

/** Redemption attempts a caller gets per window: 5 guesses per 10 minutes against ~8.5e11 codes. */
export const LINK_ATTEMPTS_MAX = 5;
export const LINK_ATTEMPTS_WINDOW_MS = 10 * 60_000;

export interface RedeemResult {
  accountId: string;
  /** The credential that asked for the code and the one that redeemed it, now on one member account. */
  issuer: Identifier;
  credentialId: string;
  /** Entries written on the member account for the ghost balances it took over. */
  moved: BalanceChange[];
  /** Both credentials were on one account already: the code is spent and nothing moved. */
  alreadyLinked: boolean;
  replayed: boolean;
}

interface StoredRedeem extends Omit<RedeemResult, "moved" | "replayed"> {
  moved: StoredChange[];
}

/**
 * Joins the code's credential and `redeemer` into one member account through the link logic: the member account of
 * either side when one has one, else a new member account; each ghost's balances move with `link` entries (and a
 * `credential.linked` event) in the same transaction that spends the code. Two member accounts cannot be merged
 * (linking is one-way): CONFLICT. A refused redemption changes nothing and leaves the code as it was.
 */
export async function redeemLinkCode(
  db: Database,
  ctx: WriteContext,
  input: { code: string; redeemer: Identifier },
  now: Date,
): Promise<RedeemResult> {
  await countAttempt(db, ctx.realmId, describeIdentifier(input.redeemer), now);
  const code = normalizeLinkCode(input.code);
  const key = ctx.idempotencyKey;
  const hash = requestHash("redeem-link-code", { code: hashLinkCode(code), redeemer: input.redeemer });
  return inTransaction(db, async (tx) => {
    if (key) {
      const stored = await claimKey<StoredRedeem>(tx, ctx.realmId, key, hash);
      if (stored) return { ...stored, moved: stored.moved.map(replayedChange), replayed: true };
    }
    // Locking the code row makes concurrent redemptions queue: the first spends it, the rest find it used.
    const [row] = await tx
      .select()
      .from(linkCodes)
      .where(eq(linkCodes.codeHash, hashLinkCode(code)))
      .for("update");
    if (!row)
      throw new TallyError("NOT_FOUND", `No link code ${code}: check it, or ask for a new one.`, refusal("unknown"));
    if (row.realmId !== ctx.realmId) {
      throw new TallyError(
        "FORBIDDEN",
        `Link code ${code} belongs to another realm: both accounts must be in the same realm to be linked.`,
        refusal("other-realm"),
      );
    }
    if (row.usedAt) throw new TallyError("CONFLICT", `Link code ${code} was already used.`, refusal("used"));
    if (row.expiresAt.getTime() <= now.getTime()) {
      throw new TallyError("CONFLICT", `Link code ${code} has expired (codes last 10 minutes).`, refusal("expired"));
    }
    const [issuerRow] = await tx
      .select({ type: credentials.type, source: credentials.source, value: credentials.value })
      .from(credentials)
      .where(eq(credentials.id, row.credentialId));
    if (!issuerRow) throw new Error("link code without its credential");
    const issuer: Identifier = issuerRow;
    const known = await findCredential(tx, ctx.realmId, input.redeemer);
    if (known?.credentialId === row.credentialId) {
      throw new TallyError(
        "VALIDATION",
        "This code was issued to this same identity: redeem it from your other platform or sign-in.",
        refusal("own-code"),
      );
    }
    const locked = await lockCredentials(tx, known ? [row.credentialId, known.credentialId] : [row.credentialId]);
    const a = locked.get(row.credentialId);
    const b = known ? locked.get(known.credentialId) : undefined;
    if (!a) throw new Error("link code credential vanished");
    let result: Omit<RedeemResult, "replayed">;
    if (b && a.accountId === b.accountId) {
      result = { accountId: a.accountId, issuer, credentialId: b.credentialId ?? "", moved: [], alreadyLinked: true };
    } else {
      if (a.linked && b?.linked) {
        throw new TallyError(
          "CONFLICT",
          "Both identities already belong to different member accounts; linking is one-way, so they cannot be merged.",
          refusal("two-members"),
        );
      }
      const memberId = a.linked ? a.accountId : b?.linked ? b.accountId : await newMember(tx, ctx.realmId);
      const fromIssuer = await moveInto(tx, ctx, issuer, memberId);
      const fromRedeemer = await moveInto(tx, ctx, input.redeemer, memberId);
      result = {
        accountId: memberId,
        issuer,
        credentialId: fromRedeemer.credentialId,
        moved: [...fromIssuer.moved, ...fromRedeemer.moved],
        alreadyLinked: false,
      };
    }
    await tx
      .update(linkCodes)
      .set({ usedAt: now, usedByCredentialId: result.credentialId })
      .where(eq(linkCodes.codeHash, row.codeHash));
    if (key) await storeResult(tx, ctx.realmId, key, { ...result, moved: result.moved.map(storeChange) });
    return { ...result, replayed: false };
  });
}

const refusal = (reason: string) => ({ subject: "link-code", reason });

/** Two ghosts join into a fresh member account, with a generated user id like any user created without one. */
async function newMember(tx: Database, realmId: string): Promise<string> {
  const id = newId();
  await tx.insert(accounts).values({ id, realmId, kind: "member", userId: newId() });
  return id;
}

/**
 * Counts one attempt for the caller in one statement of its own (so a refused guess still counts) and refuses past
 * the limit: brute force gets 5 guesses per 10 minutes per identity.
 */
async function countAttempt(db: Database, realmId: string, caller: string, now: Date): Promise<void> {
  const at = now.toISOString();
  const windowStart = new Date(now.getTime() - LINK_ATTEMPTS_WINDOW_MS).toISOString();
  const [row] = await queryRows<{ attempts: number; window_start: Date | string }>(
    db,
    sql`INSERT INTO link_code_attempts (realm_id, caller, window_start, attempts)
      VALUES (${realmId}, ${caller}, ${at}::timestamptz, 1)
      ON CONFLICT (realm_id, caller) DO UPDATE SET
        attempts = CASE WHEN link_code_attempts.window_start <= ${windowStart}::timestamptz THEN 1
          ELSE link_code_attempts.attempts + 1 END,
        window_start = CASE WHEN link_code_attempts.window_start <= ${windowStart}::timestamptz THEN ${at}::timestamptz
          ELSE link_code_attempts.window_start END
      RETURNING attempts, window_start`,
  );
  if (!row || row.attempts <= LINK_ATTEMPTS_MAX) return;
  const reopens = new Date(new Date(row.window_start).getTime() + LINK_ATTEMPTS_WINDOW_MS);
  const seconds = Math.max(1, Math.ceil((reopens.getTime() - now.getTime()) / 1000));
  throw new TallyError(
    "RATE_LIMITED",
    `Too many link code attempts: at most ${LINK_ATTEMPTS_MAX} per 10 minutes. Try again in ${Math.ceil(seconds / 60)} minute(s).`,
    { subject: "link-code", retryAfterSeconds: seconds },
  );
}
