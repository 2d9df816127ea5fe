import { type Currency, type Database, queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { MAX_MINOR } from "../amounts.ts";
import type { Subject, WriteContext } from "../context.ts";
import { TallyError } from "../errors.ts";
import { idempotencyTtlHours, REPLAY_SQLSTATE, readKey, replay, requestHash } from "../idempotency.ts";
import { describeIdentifier } from "../identities.ts";
import { inTransaction, isRetryable, pgCode } from "../transaction.ts";
import { type BalanceChange, changeFromRow, replayedChange, type StoredChange } from "./balance-change.ts";
import { type DeltaRow, type DeltaSpec, subjectQuery } from "./delta-statement.ts";
import { ensureCredential } from "./ensure-credential.ts";
import { lockCredentials } from "./lock-subjects.ts";
import { runDelta } from "./prepare-delta.ts";

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
  const hash = key ? adjustRequestHash(input) : "";
  const spec: DeltaSpec = {
    ctx,
    currency,
    delta,
    kind: "adjust",
    description: input.description,
    idempotency: key ? { key, requestHash: hash, ttlHours: idempotencyTtlHours() } : undefined,
  };
  // A few passes at most: after creating a ghost credential, or after losing a deadlock to a transaction that holds
  // the same idempotency key (it claims the key before the balance row; this statement takes them the other way).
  for (let pass = 0; pass < 5; pass++) {
    let rows: DeltaRow[];
    try {
      rows = await runDelta(db, subject, spec);
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
    // A refusal holds for the balance this read saw, a real moment of the ledger after the request arrived.
    const refused = refusal(state.balance, delta, currency);
    if (refused) throw refused;
    // The read allows what the statement refused: concurrent deltas moved the balance in between. Retrying can lose
    // that race again and again on a hot row, so decide once with the row locked.
    const settled = await inTransaction(db, async (tx) => {
      // The lock protocol (core/README.md): the credential row before the balance, and its account from the locked row.
      const holder = state.credentialId
        ? (await lockCredentials(tx, [state.credentialId])).get(state.credentialId)
        : undefined;
      const accountId = holder?.accountId ?? state.accountId;
      const locked = refusal(await lockedBalance(tx, accountId, currency.id), delta, currency);
      if (locked) throw locked;
      const [row] = await runDelta(tx, subject, spec);
      return row;
    }).catch((error: unknown) => {
      if (key && pgCode(error) === REPLAY_SQLSTATE) return undefined;
      throw error;
    });
    if (settled) return changeFromRow(settled, currency.id);
    // Still nothing: the key was taken meanwhile, or the credential now points elsewhere; the next pass tells which.
  }
  throw new Error("balance change did not settle after retries");
}

/** The balance row locked for the rest of the transaction; zero when the account never held the currency. */
async function lockedBalance(tx: Database, accountId: string, currencyId: string): Promise<bigint> {
  const [row] = await queryRows<{ balance: string | bigint }>(
    tx,
    sql`SELECT balance FROM balances WHERE account_id = ${accountId} AND currency_id = ${currencyId} FOR UPDATE`,
  );
  return BigInt(row?.balance ?? 0);
}

/** The request hash an idempotency key of an adjust is stored with; every path that applies an adjust uses it. */
export const adjustRequestHash = (input: AdjustInput): string =>
  requestHash("adjust", {
    subject: input.subject,
    currency: input.currency.id,
    delta: input.delta,
    description: input.description ?? null,
  });

/** Why the overdraft rule or the balance range refuses `delta` on `balance`; undefined when it is allowed. */
export function refusal(
  balance: bigint,
  delta: bigint,
  currency: Pick<Currency, "allowNegative">,
): TallyError | undefined {
  const after = balance + delta;
  if (delta < 0n && !currency.allowNegative && after < 0n) {
    return new TallyError(
      "INSUFFICIENT_BALANCE",
      `Insufficient balance: the balance is ${balance} and the change is ${delta} (minor units).`,
      { balance, delta },
    );
  }
  if (after > MAX_MINOR || after < -MAX_MINOR) {
    return new TallyError("BALANCE_LIMIT", `The balance would leave the supported range of ±${MAX_MINOR} minor units.`);
  }
  return undefined;
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

/**
 * Whether two subjects hold one account (a member reached through two linked identities), in one statement; a subject
 * never credited holds no account, so it shares none. For the bots' "you cannot give to yourself".
 */
export async function sameAccount(db: Database, realmId: string, a: Subject, b: Subject): Promise<boolean> {
  const [row] = await queryRows<{ same: boolean }>(
    db,
    sql`WITH a AS (${subjectQuery(realmId, a, { lock: false })}), b AS (${subjectQuery(realmId, b, { lock: false })})
      SELECT EXISTS (SELECT 1 FROM a JOIN b ON b.account_id = a.account_id) AS same`,
  );
  return row?.same === true;
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
