import { type Currency, type Database, queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { MAX_MINOR } from "../amounts.ts";
import type { Subject, WriteContext } from "../context.ts";
import { TallyError } from "../errors.ts";
import { idempotencyTtlHours, REPLAY_SQLSTATE, readKey, replay, requestHash } from "../idempotency.ts";
import { describeIdentifier } from "../identities.ts";
import { isRetryable, pgCode } from "../transaction.ts";
import { type BalanceChange, changeFromRow, replayedChange, type StoredChange } from "./balance-change.ts";
import { type DeltaRow, deltaStatement, subjectQuery } from "./delta-statement.ts";
import { ensureCredential } from "./ensure-credential.ts";

export interface AdjustInput {
  subject: Subject;
  currency: Currency;
  /** Minor units; positive credits, negative debits. */
  delta: bigint;
  description?: string | null | undefined;
}

/**
 * Credits or debits one subject. The happy path is a single SQL statement (balance, ledger entry and idempotency
 * record together); only a refused or first-time request pays for further reads. Crediting an unknown credential
 * creates it with a ghost account.
 */
export async function adjustBalance(db: Database, ctx: WriteContext, input: AdjustInput): Promise<BalanceChange> {
  const { subject, currency, delta } = input;
  const key = ctx.idempotencyKey;
  const hash = key
    ? requestHash("adjust", { subject, currency: currency.id, delta, description: input.description ?? null })
    : "";
  const statement = deltaStatement(subjectQuery(ctx.realmId, subject), {
    ctx,
    currency,
    delta,
    kind: "adjust",
    description: input.description,
    idempotency: key ? { key, requestHash: hash, ttlHours: idempotencyTtlHours() } : undefined,
  });
  // A few passes at most: after creating a ghost credential, or after losing a deadlock to a transaction that holds
  // the same idempotency key (it claims the key before the balance row; this statement takes them the other way).
  for (let pass = 0; pass < 5; pass++) {
    let rows: DeltaRow[];
    try {
      rows = await queryRows<DeltaRow>(db, statement);
    } catch (error) {
      if (isRetryable(error)) continue;
      // A concurrent request with the same key committed first: this statement rolled itself back.
      if (!key || pgCode(error) !== REPLAY_SQLSTATE) throw error;
      rows = [];
    }
    const [row] = rows;
    if (row) return changeFromRow(row, currency.id);

    if (key) {
      const stored = await readKey(db, ctx.realmId, key);
      if (stored) return replayedChange(replay<StoredChange>(stored, hash));
    }
    const state = await subjectBalance(db, ctx.realmId, subject, currency.id);
    if (!state) {
      if (subject.kind === "credential" && delta > 0n) {
        await ensureCredential(db, ctx.realmId, subject.identifier);
        continue;
      }
      throw subjectNotFound(subject);
    }
    const after = state.balance + delta;
    if (delta < 0n && !currency.allowNegative && after < 0n) {
      throw new TallyError(
        "INSUFFICIENT_BALANCE",
        `Insufficient balance: the balance is ${state.balance} and the change is ${delta} (minor units).`,
        { balance: state.balance, delta },
      );
    }
    if (after > MAX_MINOR || after < -MAX_MINOR) {
      throw new TallyError(
        "BALANCE_LIMIT",
        `The balance would leave the supported range of ±${MAX_MINOR} minor units.`,
      );
    }
    // Otherwise the state moved between the statement and the read (e.g. a credential was just linked): try again.
  }
  throw new Error("balance change did not settle after retries");
}

export function subjectNotFound(subject: Subject): TallyError {
  switch (subject.kind) {
    case "credential":
      return new TallyError("NOT_FOUND", `No credential ${describeIdentifier(subject.identifier)} in this realm.`, {
        subject: "credential",
      });
    case "user":
      return new TallyError("NOT_FOUND", `No user with user_id "${subject.userId}" in this realm.`, {
        subject: "user",
      });
    case "account":
      return new TallyError("NOT_FOUND", `No account "${subject.accountId}" in this realm.`, { subject: "account" });
  }
}

/** The subject's account and its balance in a currency (zero when it never had one); undefined when unknown. */
export async function subjectBalance(
  db: Database,
  realmId: string,
  subject: Subject,
  currencyId: string,
): Promise<{ accountId: string; credentialId: string | null; linked: boolean; balance: bigint } | undefined> {
  const [row] = await queryRows<{
    account_id: string;
    credential_id: string | null;
    kind: string;
    balance: string | bigint | null;
  }>(
    db,
    sql`WITH target AS (${subjectQuery(realmId, subject, { lock: false })})
      SELECT target.*, b.balance FROM target
      LEFT JOIN balances b ON b.account_id = target.account_id AND b.currency_id = ${currencyId}`,
  );
  return (
    row && {
      accountId: row.account_id,
      credentialId: row.credential_id,
      linked: row.kind === "member",
      balance: BigInt(row.balance ?? 0),
    }
  );
}
