import type { Currency, EntryKind } from "@tally/db";
import { type SQL, sql } from "drizzle-orm";
import { MAX_MINOR } from "../amounts.ts";
import type { Subject, WriteContext } from "../context.ts";

/** The row a delta statement returns; empty when the subject is unknown or the overdraft rule refused it. */
export interface DeltaRow {
  entry_id: string | bigint;
  account_id: string;
  credential_id: string | null;
  kind: "member" | "ghost";
  balance_after: string | bigint;
}

/**
 * Selects `account_id, credential_id, kind` of a subject within a realm: zero or one row. For a write (`lock`, the
 * default) a credential row is locked `FOR UPDATE` before any balance is touched and the account is read from the
 * locked row, which in READ COMMITTED is its latest version: a link that committed meanwhile is seen, never raced
 * (the lock protocol in core/README.md). The join to `accounts` sits outside the locking subquery so that a re-pointed
 * credential is re-joined to its new account; if that account is newer than the statement's snapshot the join comes
 * back empty, nothing is written, and `adjustBalance` runs the statement again.
 */
export function subjectQuery(realmId: string, subject: Subject, options: { lock?: boolean } = {}): SQL {
  switch (subject.kind) {
    case "credential": {
      const { type, source, value } = subject.identifier;
      const lock = options.lock === false ? sql`` : sql` FOR UPDATE`;
      return sql`SELECT c.account_id, c.credential_id, a.kind FROM (SELECT id AS credential_id, account_id
          FROM credentials WHERE realm_id = ${realmId} AND type = ${type} AND source = ${source} AND value = ${value}${lock}
        ) c JOIN accounts a ON a.id = c.account_id`;
    }
    case "user":
      return sql`SELECT a.id AS account_id, NULL::text AS credential_id, a.kind FROM accounts a
        WHERE a.realm_id = ${realmId} AND a.user_id = ${subject.userId}`;
    case "account":
      return sql`SELECT a.id AS account_id, NULL::text AS credential_id, a.kind FROM accounts a
        WHERE a.realm_id = ${realmId} AND a.id = ${subject.accountId}`;
  }
}

/** The target of a delta whose account is already resolved (and locked) by the caller's transaction. */
export const resolvedTarget = (holder: { accountId: string; credentialId: string | null; linked: boolean }): SQL =>
  sql`SELECT ${holder.accountId}::text AS account_id, ${holder.credentialId}::text AS credential_id,
    ${holder.linked ? "member" : "ghost"}::text AS kind`;

export interface DeltaSpec {
  ctx: WriteContext;
  currency: Pick<Currency, "id" | "allowNegative">;
  delta: bigint;
  kind: EntryKind;
  description?: string | null | undefined;
  /** When set, the statement records the key with its result, and aborts itself if the key was taken meanwhile. */
  idempotency?: { key: string; requestHash: string; ttlHours: number } | undefined;
  /** On a reversal: the entry it undoes. */
  reversesEntryId?: bigint | undefined;
  /** Shared by the entries of one operation that is reversed as a whole (a transfer's legs). */
  operationId?: string | undefined;
}

/**
 * One statement that applies a delta and appends its ledger entry: the balance write and the entry commit together or
 * not at all, in a single round trip. Concurrent deltas on one row serialise on its row lock and each re-checks the
 * overdraft rule against the committed balance, so no update is ever lost.
 */
export function deltaStatement(target: SQL, spec: DeltaSpec): SQL {
  const { ctx, currency, delta } = spec;
  const d = delta.toString();
  const min = currency.allowNegative ? (-MAX_MINOR).toString() : "0";
  const max = MAX_MINOR.toString();
  const key = spec.idempotency?.key ?? null;
  // A debit that may not overdraw can only ever touch an existing row (a missing row is a zero balance),
  // so it is a plain conditional UPDATE; everything else is an upsert whose UPDATE branch re-checks the bounds.
  const write =
    delta < 0n && !currency.allowNegative
      ? sql`UPDATE balances SET balance = balances.balance + ${d}::bigint, updated_at = now()
          FROM target WHERE balances.account_id = target.account_id AND balances.currency_id = ${currency.id}
            AND balances.balance + ${d}::bigint >= 0
          RETURNING balances.account_id, balances.balance`
      : sql`INSERT INTO balances (account_id, currency_id, realm_id, balance)
          SELECT account_id, ${currency.id}, ${ctx.realmId}, ${d}::bigint FROM target
          ON CONFLICT (account_id, currency_id) DO UPDATE
            SET balance = balances.balance + excluded.balance, updated_at = now()
            WHERE balances.balance + excluded.balance BETWEEN ${min}::bigint AND ${max}::bigint
          RETURNING account_id, balance`;
  // The plain delta leaves the operation columns out, so its text (and prepared statement) stays the hot path's own.
  const links = spec.reversesEntryId !== undefined || spec.operationId !== undefined;
  const linkColumns = links ? sql`, reverses_entry_id, operation_id` : sql``;
  const linkValues = links
    ? sql`, ${spec.reversesEntryId?.toString() ?? null}::bigint, ${spec.operationId ?? null}::text`
    : sql``;
  const ledger = sql`INSERT INTO ledger_entries (realm_id, currency_id, account_id, delta, balance_after, kind,
      description, initiator_type, initiator_id, via, credential_id, idempotency_key${linkColumns})
    SELECT ${ctx.realmId}, ${currency.id}, bal.account_id, ${d}::bigint, bal.balance, ${spec.kind},
      ${spec.description ?? null}, ${ctx.initiator.type}, ${ctx.initiator.id}, ${ctx.via}, target.credential_id, ${key}
      ${linkValues}
    FROM bal JOIN target ON target.account_id = bal.account_id
    RETURNING id, account_id, credential_id, balance_after`;
  if (!spec.idempotency) {
    return sql`WITH target AS (${target}), bal AS (${write}), led AS (${ledger})
      SELECT led.id AS entry_id, led.account_id, led.credential_id, target.kind, led.balance_after
      FROM led JOIN target ON target.account_id = led.account_id`;
  }
  const { requestHash, ttlHours } = spec.idempotency;
  // A live key already committed means a replay: touch nothing, and let the caller read the stored result. A key
  // past its retention counts as never used, whether or not the pruner has deleted it yet: the insert takes it over.
  return sql`WITH target AS (SELECT * FROM (${target}) subject
      WHERE NOT EXISTS (SELECT 1 FROM idempotency_keys WHERE realm_id = ${ctx.realmId} AND key = ${key}
        AND created_at > now() - make_interval(hours => ${ttlHours}::int))),
    bal AS (${write}), led AS (${ledger}),
    idem AS (
      INSERT INTO idempotency_keys (realm_id, key, request_hash, result)
      SELECT ${ctx.realmId}, ${key}, ${requestHash}, jsonb_build_object(
        'entryId', led.id::text, 'accountId', led.account_id, 'credentialId', led.credential_id,
        'currencyId', ${currency.id}::text, 'balance', led.balance_after::text, 'linked', target.kind = 'member')
      FROM led JOIN target ON target.account_id = led.account_id
      ON CONFLICT (realm_id, key) DO UPDATE
        SET request_hash = excluded.request_hash, result = excluded.result, created_at = now()
        WHERE idempotency_keys.created_at <= now() - make_interval(hours => ${ttlHours}::int)
      RETURNING 1 AS fresh
    )
    SELECT led.id AS entry_id, led.account_id, led.credential_id, target.kind, led.balance_after,
      CASE WHEN EXISTS (SELECT 1 FROM idem) THEN true ELSE tally_abort('idempotency_replay') END AS fresh
    FROM led JOIN target ON target.account_id = led.account_id`;
}
