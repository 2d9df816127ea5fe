import { type Database, queryRows } from "@tally/db";
import { type SQL, sql } from "drizzle-orm";

/** One broken invariant, as a JSON-safe record (amounts are minor units as decimal strings). */
export interface AuditProblem {
  check: "balance_mismatch" | "balance_after_chain" | "orphan_balance" | "negative_balance" | "idempotency_dangling";
  message: string;
  accountId?: string;
  currencyId?: string;
  entryId?: string;
  key?: string;
}

export interface AuditReport {
  ok: boolean;
  /** Accounts and ledger entries examined. */
  accounts: number;
  entries: number;
  problems: AuditProblem[];
}

/** Each check reports at most this many problems: one is enough to alarm, thousands only drown the first. */
const MAX_PER_CHECK = 100;

/**
 * Proves the ledger's invariants (core/README.md) in a handful of set-based passes, all in one read-only snapshot so a
 * concurrent write is seen whole or not at all:
 * every balance equals the sum of its entries; every entry's balance_after is the previous one plus its delta in id
 * order (per account and currency, ids are taken under the balance row lock, so id order is commit order); no account
 * without a credential or a user holds a balance; no balance is below zero in a currency that forbids it; every
 * idempotency record's entries exist in its realm.
 */
export async function auditLedger(db: Database, realmId?: string): Promise<AuditReport> {
  const realm = (column: SQL) => (realmId === undefined ? sql`true` : sql`${column} = ${realmId}`);
  return db.transaction(
    async (tx) => {
      const t = tx as unknown as Database;
      const problems: AuditProblem[] = [];
      // Whole-table passes: sorts and hashes in memory, and no JIT compilation that costs more than it saves here.
      await t.execute(sql`SET LOCAL work_mem = '64MB'`);
      await t.execute(sql`SET LOCAL jit = off`);
      const [counts] = await queryRows<{ accounts: string; entries: string }>(
        t,
        sql`SELECT (SELECT count(*) FROM accounts WHERE ${realm(sql`realm_id`)})::text AS accounts,
          (SELECT count(*) FROM ledger_entries WHERE ${realm(sql`realm_id`)})::text AS entries`,
      );

      // Balance vs. sum of entries, both directions: a balance row without entries, or entries without a balance row.
      for (const row of await queryRows<{ account_id: string; currency_id: string; balance: string; sum: string }>(
        t,
        sql`SELECT coalesce(b.account_id, s.account_id) AS account_id, coalesce(b.currency_id, s.currency_id) AS currency_id,
            coalesce(b.balance, 0)::text AS balance, coalesce(s.sum, 0)::text AS sum
          FROM (SELECT account_id, currency_id, balance FROM balances WHERE ${realm(sql`realm_id`)}) b
          FULL JOIN (SELECT account_id, currency_id, sum(delta) AS sum FROM ledger_entries
            WHERE ${realm(sql`realm_id`)} GROUP BY account_id, currency_id) s
            ON s.account_id = b.account_id AND s.currency_id = b.currency_id
          WHERE coalesce(b.balance, 0) <> coalesce(s.sum, 0)
          LIMIT ${MAX_PER_CHECK}`,
      )) {
        problems.push({
          check: "balance_mismatch",
          accountId: row.account_id,
          currencyId: row.currency_id,
          message: `The balance is ${row.balance} but its entries sum to ${row.sum} (minor units).`,
        });
      }

      for (const row of await queryRows<{
        id: string;
        account_id: string;
        currency_id: string;
        expected: string;
        balance_after: string;
      }>(
        t,
        sql`SELECT id::text, account_id, currency_id, expected::text, balance_after::text FROM (
            SELECT id, account_id, currency_id, balance_after,
              coalesce(lag(balance_after) OVER w, 0) + delta AS expected
            FROM ledger_entries WHERE ${realm(sql`realm_id`)}
            WINDOW w AS (PARTITION BY account_id, currency_id ORDER BY id)
          ) e WHERE balance_after <> expected ORDER BY id LIMIT ${MAX_PER_CHECK}`,
      )) {
        problems.push({
          check: "balance_after_chain",
          entryId: row.id,
          accountId: row.account_id,
          currencyId: row.currency_id,
          message: `Entry ${row.id} says balance_after ${row.balance_after}; the previous entry plus its delta is ${row.expected}.`,
        });
      }

      for (const row of await queryRows<{ account_id: string; currency_id: string; balance: string }>(
        t,
        sql`SELECT b.account_id, b.currency_id, b.balance::text FROM balances b
          JOIN accounts a ON a.id = b.account_id
          WHERE ${realm(sql`b.realm_id`)} AND b.balance <> 0
            AND (a.kind = 'ghost' OR a.user_id IS NULL)
            AND NOT EXISTS (SELECT 1 FROM credentials c WHERE c.account_id = a.id)
          LIMIT ${MAX_PER_CHECK}`,
      )) {
        problems.push({
          check: "orphan_balance",
          accountId: row.account_id,
          currencyId: row.currency_id,
          message: `Account ${row.account_id} holds ${row.balance} but no credential or user reaches it.`,
        });
      }

      for (const row of await queryRows<{ account_id: string; currency_id: string; balance: string }>(
        t,
        sql`SELECT b.account_id, b.currency_id, b.balance::text FROM balances b
          JOIN currencies c ON c.id = b.currency_id
          WHERE ${realm(sql`b.realm_id`)} AND b.balance < 0 AND NOT c.allow_negative
          LIMIT ${MAX_PER_CHECK}`,
      )) {
        problems.push({
          check: "negative_balance",
          accountId: row.account_id,
          currencyId: row.currency_id,
          message: `The balance is ${row.balance} in a currency that does not allow negative balances.`,
        });
      }

      // A stored result names its entries as `entryId` wherever it nests them (a change, a transfer's legs, a batch).
      for (const row of await queryRows<{ realm_id: string; key: string; entry_id: string }>(
        t,
        sql`SELECT k.realm_id, k.key, ref.entry_id FROM idempotency_keys k
          CROSS JOIN LATERAL (SELECT DISTINCT v #>> '{}' AS entry_id
            FROM jsonb_path_query(k.result, 'strict $.**.entryId') v) ref
          WHERE ${realm(sql`k.realm_id`)} AND NOT EXISTS (
            SELECT 1 FROM ledger_entries e WHERE ref.entry_id ~ '^[0-9]{1,18}$'
              AND e.id = ref.entry_id::bigint AND e.realm_id = k.realm_id)
          LIMIT ${MAX_PER_CHECK}`,
      )) {
        problems.push({
          check: "idempotency_dangling",
          key: row.key,
          entryId: row.entry_id,
          message: `Idempotency key "${row.key}" of realm ${row.realm_id} points at entry ${row.entry_id}, which does not exist.`,
        });
      }

      return {
        ok: problems.length === 0,
        accounts: Number(counts?.accounts ?? 0),
        entries: Number(counts?.entries ?? 0),
        problems,
      };
    },
    { isolationLevel: "repeatable read", accessMode: "read only" },
  );
}
