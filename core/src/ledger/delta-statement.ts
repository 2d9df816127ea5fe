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

/** Selects `account_id, credential_id, kind` of a subject within a realm: zero or one row. */
export function subjectQuery(realmId: string, subject: Subject): SQL {
  switch (subject.kind) {
    case "credential": {
      const { type, source, value } = subject.identifier;
      return sql`SELECT c.account_id, c.id AS credential_id, a.kind FROM credentials c
        JOIN accounts a ON a.id = c.account_id
        WHERE c.realm_id = ${realmId} AND c.type = ${type} AND c.source = ${source} AND c.value = ${value}`;
    }
    case "user":
      return sql`SELECT a.id AS account_id, NULL::text AS credential_id, a.kind FROM accounts a
        WHERE a.realm_id = ${realmId} AND a.user_id = ${subject.userId}`;
    case "account":
      return sql`SELECT a.id AS account_id, NULL::text AS credential_id, a.kind FROM accounts a
        WHERE a.realm_id = ${realmId} AND a.id = ${subject.accountId}`;
  }
}

export interface DeltaSpec {
  ctx: WriteContext;
  currency: Pick<Currency, "id" | "allowNegative">;
  delta: bigint;
  kind: EntryKind;
  description?: string | null | undefined;
  /** When set, the statement records the key with its result, and aborts itself if the key was taken meanwhile. */
  idempotency?: { key: string; requestHash: string } | undefined;
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
  const ledger = sql`INSERT INTO ledger_entries (realm_id, currency_id, account_id, delta, balance_after, kind,
      description, initiator_type, initiator_id, via, credential_id, idempotency_key)
    SELECT ${ctx.realmId}, ${currency.id}, bal.account_id, ${d}::bigint, bal.balance, ${spec.kind},
      ${spec.description ?? null}, ${ctx.initiator.type}, ${ctx.initiator.id}, ${ctx.via}, target.credential_id, ${key}
    FROM bal JOIN target ON target.account_id = bal.account_id
    RETURNING id, account_id, credential_id, balance_after`;
  if (!spec.idempotency) {
    return sql`WITH target AS (${target}), bal AS (${write}), led AS (${ledger})
      SELECT led.id AS entry_id, led.account_id, led.credential_id, target.kind, led.balance_after
      FROM led JOIN target ON target.account_id = led.account_id`;
  }
  const { requestHash } = spec.idempotency;
  // A key already committed means a replay: touch nothing, and let the caller read the stored result.
  return sql`WITH target AS (SELECT * FROM (${target}) subject
      WHERE NOT EXISTS (SELECT 1 FROM idempotency_keys WHERE realm_id = ${ctx.realmId} AND key = ${key})),
    bal AS (${write}), led AS (${ledger}),
    idem AS (
      INSERT INTO idempotency_keys (realm_id, key, request_hash, result)
      SELECT ${ctx.realmId}, ${key}, ${requestHash}, jsonb_build_object(
        'entryId', led.id::text, 'accountId', led.account_id, 'credentialId', led.credential_id,
        'currencyId', ${currency.id}::text, 'balance', led.balance_after::text, 'linked', target.kind = 'member')
      FROM led JOIN target ON target.account_id = led.account_id
      ON CONFLICT DO NOTHING RETURNING 1 AS fresh
    )
    SELECT led.id AS entry_id, led.account_id, led.credential_id, target.kind, led.balance_after,
      CASE WHEN EXISTS (SELECT 1 FROM idem) THEN true ELSE tally_abort('idempotency_replay') END AS fresh
    FROM led JOIN target ON target.account_id = led.account_id`;
}
