import { type Database, runPrepared } from "@tally/db";
import { MAX_MINOR } from "../../amounts.ts";
import type { Subject, WriteContext } from "../../context.ts";
import type { AdjustInput } from "../adjust-balance.ts";

/** One adjust inside a batch, with its idempotency request hash already computed. */
export interface BatchAdjust {
  ctx: WriteContext;
  input: AdjustInput;
  hash: string;
}

/** One row per item, in arrival order; `entry_id` is set when it was applied. */
export interface BatchRow {
  ord: string | bigint;
  account_id: string | null;
  credential_id: string | null;
  account_kind: "member" | "ghost" | null;
  replay: boolean;
  ok: boolean | null;
  /** The item's balance before its turn: the running balance its overdraft check was made against. */
  before: string | bigint | null;
  entry_id: string | bigint | null;
  balance_after: string | bigint | null;
}

const MAX = MAX_MINOR.toString();
const bounds = (balance: string, delta: string, allowNegative: string) =>
  `${balance} + ${delta} BETWEEN CASE WHEN ${allowNegative} THEN -${MAX} ELSE 0 END AND ${MAX}`;

/**
 * Applies many adjusts in ONE statement (one round trip, one commit) as if they ran one after another in arrival order:
 * each gets its own ledger entry, its own `balance_after` and its own overdraft check against the running balance;
 * a refused item writes nothing and does not move the balance, the others commit. Each balance row is written once.
 *
 * Locks follow the ledger's protocol: the credentials of credential subjects `FOR UPDATE` in id order first (the account
 * comes from the locked row, so a concurrent link cannot move it underneath), then the existing balance rows in
 * (account, currency) order; new balance rows and idempotency keys are inserted in sorted order too.
 *
 * A balance another transaction committed after this statement's snapshot is still applied on top of: `lockb` waits
 * for the row lock and then reads the newest version (READ COMMITTED), and the UPDATE, finding its snapshot's version
 * outdated, re-checks the newest one. So the UPDATE must not compare the balance too: the snapshot's old value would
 * fail that comparison and abort every batch that waited on another (two API processes on one hot account did).
 *
 * Items whose subject is unknown, or whose key is already committed, are left alone and reported (`account_id` null,
 * `replay`), for the caller to settle one by one. Anything the statement cannot do exactly as planned — a balance row
 * inserted by someone else meanwhile, a key taken by a concurrent request — aborts the whole statement
 * (`tally_abort:batch_conflict`), and the caller retries the items individually.
 *
 * Its cost must follow the batch, not the tables: accounts and balances are looked up row by row through LATERAL
 * subqueries (a LIMIT or a FOR UPDATE keeps the planner from flattening them into a hash join, which it preferred over
 * a seq scan of every account and balance of a 10k-account realm), and the running balance walks each account's
 * deltas as an array carried in the recursion (joining back to `seq` at every step made a batch of n cost n²).
 */
export const ADJUST_BATCH_SQL = `WITH RECURSIVE
items AS MATERIALIZED (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
      $8::text[]::bigint[], $9::text[]::boolean[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[])
    WITH ORDINALITY AS i(realm_id, subject_kind, ctype, csource, cvalue, subject_id, currency_id, delta, allow_negative,
      description, initiator_type, initiator_id, via, idem_key, request_hash, ord)
),
cred AS MATERIALIZED (
  SELECT c.id, c.account_id, c.realm_id, c.type, c.source, c.value FROM credentials c
  WHERE (c.realm_id, c.type, c.source, c.value) IN
    (SELECT realm_id, ctype, csource, cvalue FROM items WHERE subject_kind = 'credential')
  ORDER BY c.id FOR UPDATE OF c
),
target AS MATERIALIZED (
  SELECT i.*, a.id AS account_id, cr.id AS credential_id, a.kind AS account_kind,
    (i.idem_key IS NOT NULL AND EXISTS (
      SELECT 1 FROM idempotency_keys k WHERE k.realm_id = i.realm_id AND k.key = i.idem_key)) AS replay
  FROM items i
  LEFT JOIN cred cr ON i.subject_kind = 'credential' AND cr.realm_id = i.realm_id AND cr.type = i.ctype
    AND cr.source = i.csource AND cr.value = i.cvalue
  LEFT JOIN accounts ua ON i.subject_kind = 'user' AND ua.realm_id = i.realm_id AND ua.user_id = i.subject_id
  LEFT JOIN LATERAL (
    SELECT a.id, a.kind FROM accounts a WHERE a.realm_id = i.realm_id
      AND a.id = coalesce(cr.account_id, ua.id, CASE WHEN i.subject_kind = 'account' THEN i.subject_id END)
    LIMIT 1
  ) a ON true
),
lockb AS MATERIALIZED (
  SELECT lb.account_id, lb.currency_id, lb.balance
  FROM (SELECT DISTINCT account_id, currency_id FROM target WHERE account_id IS NOT NULL AND NOT replay
    ORDER BY account_id, currency_id) k
  CROSS JOIN LATERAL (
    SELECT b.account_id, b.currency_id, b.balance FROM balances b
    WHERE b.account_id = k.account_id AND b.currency_id = k.currency_id FOR UPDATE
  ) lb
),
seq AS MATERIALIZED (
  SELECT t.*, coalesce(lb.balance, 0::bigint) AS start, lb.account_id IS NOT NULL AS existed,
    row_number() OVER (PARTITION BY t.account_id, t.currency_id ORDER BY t.ord) AS rn
  FROM target t LEFT JOIN lockb lb ON lb.account_id = t.account_id AND lb.currency_id = t.currency_id
  WHERE t.account_id IS NOT NULL AND NOT t.replay
),
grp AS MATERIALIZED (
  SELECT account_id, currency_id, min(start) AS start, count(*)::int AS n,
    array_agg(delta ORDER BY rn) AS deltas, array_agg(allow_negative ORDER BY rn) AS negs
  FROM seq GROUP BY account_id, currency_id
),
run (account_id, currency_id, rn, n, deltas, negs, before, ok, bal) AS (
  SELECT g.account_id, g.currency_id, 1, g.n, g.deltas, g.negs, g.start, v.ok,
    CASE WHEN v.ok THEN g.start + g.deltas[1] ELSE g.start END
  FROM grp g CROSS JOIN LATERAL (SELECT ${bounds("g.start", "g.deltas[1]", "g.negs[1]")} AS ok) v
  UNION ALL
  SELECT r.account_id, r.currency_id, r.rn + 1, r.n, r.deltas, r.negs, r.bal, v.ok,
    CASE WHEN v.ok THEN r.bal + r.deltas[r.rn + 1] ELSE r.bal END
  FROM run r CROSS JOIN LATERAL (SELECT ${bounds("r.bal", "r.deltas[r.rn + 1]", "r.negs[r.rn + 1]")} AS ok) v
  WHERE r.rn < r.n
),
fin AS MATERIALIZED (
  SELECT s.account_id, s.currency_id, s.realm_id, s.start, s.existed, g.final
  FROM (SELECT account_id, currency_id, (array_agg(bal ORDER BY rn DESC))[1] AS final, bool_or(ok) AS changed
    FROM run GROUP BY account_id, currency_id) g
  JOIN seq s ON s.account_id = g.account_id AND s.currency_id = g.currency_id AND s.rn = 1
  WHERE g.changed
),
upd AS (
  UPDATE balances b SET balance = f.final, updated_at = now() FROM fin f
  WHERE f.existed AND b.account_id = f.account_id AND b.currency_id = f.currency_id
  RETURNING 1
),
ins AS (
  INSERT INTO balances (account_id, currency_id, realm_id, balance)
  SELECT f.account_id, f.currency_id, f.realm_id, f.final FROM fin f WHERE NOT f.existed
  ORDER BY f.account_id, f.currency_id
  ON CONFLICT DO NOTHING RETURNING 1
),
-- Entry ids are drawn here, in arrival order (a volatile target is computed after the sort), so each item knows its
-- entry without matching the insert's RETURNING back to it.
okd AS MATERIALIZED (
  SELECT s.*, r.bal AS balance_after, nextval('ledger_entries_id_seq') AS entry_id
  FROM seq s JOIN run r ON r.account_id = s.account_id AND r.currency_id = s.currency_id AND r.rn = s.rn
  WHERE r.ok
  ORDER BY s.ord
),
led AS (
  INSERT INTO ledger_entries (id, realm_id, currency_id, account_id, delta, balance_after, kind, description,
    initiator_type, initiator_id, via, credential_id, idempotency_key)
  OVERRIDING SYSTEM VALUE
  SELECT entry_id, realm_id, currency_id, account_id, delta, balance_after, 'adjust', description,
    initiator_type, initiator_id, via, credential_id, idem_key
  FROM okd ORDER BY entry_id
),
idem AS (
  INSERT INTO idempotency_keys (realm_id, key, request_hash, result)
  SELECT o.realm_id, o.idem_key, o.request_hash, jsonb_build_object(
      'entryId', o.entry_id::text, 'accountId', o.account_id, 'credentialId', o.credential_id,
      'currencyId', o.currency_id, 'balance', o.balance_after::text, 'linked', o.account_kind = 'member')
  FROM okd o WHERE o.idem_key IS NOT NULL
  ORDER BY o.realm_id, o.idem_key
  ON CONFLICT DO NOTHING RETURNING 1
)
SELECT t.ord, t.account_id, t.credential_id, t.account_kind, t.replay, r.ok, r.before, o.entry_id,
  o.balance_after,
  CASE WHEN (SELECT count(*) FROM upd) = (SELECT count(*) FROM fin WHERE existed)
    AND (SELECT count(*) FROM ins) = (SELECT count(*) FROM fin WHERE NOT existed)
    AND (SELECT count(*) FROM idem) = (SELECT count(*) FROM okd WHERE idem_key IS NOT NULL)
    THEN true ELSE tally_abort('batch_conflict') END AS settled
FROM target t
LEFT JOIN seq s ON s.ord = t.ord
LEFT JOIN run r ON r.account_id = s.account_id AND r.currency_id = s.currency_id AND r.rn = s.rn
LEFT JOIN okd o ON o.ord = t.ord
ORDER BY t.ord`;

const subjectColumns = (subject: Subject): [string, string | null, string | null, string | null, string | null] => {
  switch (subject.kind) {
    case "credential": {
      const { type, source, value } = subject.identifier;
      return ["credential", type, source, value, null];
    }
    case "user":
      return ["user", null, null, null, subject.userId];
    case "account":
      return ["account", null, null, null, subject.accountId];
  }
};

/** The batch statement's parameters: one array per column, one element per item. */
export function adjustBatchParameters(items: readonly BatchAdjust[]): unknown[][] {
  const columns: unknown[][] = Array.from({ length: 15 }, () => new Array<unknown>(items.length));
  items.forEach(({ ctx, input, hash }, n) => {
    const row = [
      ctx.realmId,
      ...subjectColumns(input.subject),
      input.currency.id,
      input.delta.toString(),
      input.currency.allowNegative ? "t" : "f",
      input.description ?? null,
      ctx.initiator.type,
      ctx.initiator.id,
      ctx.via,
      ctx.idempotencyKey ?? null,
      ctx.idempotencyKey ? hash : null,
    ];
    for (let c = 0; c < row.length; c++) (columns[c] as unknown[])[n] = row[c];
  });
  return columns;
}

/** Runs the batch statement; rows come back in arrival order, one per item. */
export function applyAdjustBatch(db: Database, items: readonly BatchAdjust[]): Promise<BatchRow[]> {
  return runPrepared<BatchRow>(db, ADJUST_BATCH_SQL, adjustBatchParameters(items));
}
