import { type Database, type EntryKind, queryRows, type Via } from "@tally/db";
import { type SQL, sql } from "drizzle-orm";
import { TallyError } from "../errors.ts";
import { type Page, pageSize } from "./history.ts";

/** The ledger explorer's filters; the same ones narrow its export (core/src/export). */
export interface LedgerFilter {
  currencyId?: string | undefined;
  accountId?: string | undefined;
  credentialId?: string | undefined;
  kind?: EntryKind | undefined;
  via?: Via | undefined;
  initiatorId?: string | undefined;
  /** Inclusive lower bound on created_at. */
  from?: Date | undefined;
  /** Exclusive upper bound on created_at. */
  to?: Date | undefined;
}

export interface LedgerRow {
  id: string;
  createdAt: Date;
  currencyId: string;
  accountId: string;
  /** The account's name, user id or first credential. */
  holder: string;
  credential: string | null;
  delta: bigint;
  balanceAfter: bigint;
  kind: string;
  description: string | null;
  initiatorType: string;
  initiatorId: string;
  via: string;
  reversesEntryId: string | null;
  reversedBy: string | null;
}

/** The WHERE conditions of a ledger filter over `ledger_entries` aliased `e`. */
export function ledgerConditions(realmId: string, filter: LedgerFilter): SQL {
  if (filter.from && filter.to && filter.from >= filter.to) {
    throw new TallyError("VALIDATION", "from: must be before to.");
  }
  const parts: SQL[] = [sql`e.realm_id = ${realmId}`];
  if (filter.currencyId) parts.push(sql`e.currency_id = ${filter.currencyId}`);
  if (filter.accountId) parts.push(sql`e.account_id = ${filter.accountId}`);
  if (filter.credentialId) parts.push(sql`e.credential_id = ${filter.credentialId}`);
  if (filter.kind) parts.push(sql`e.kind = ${filter.kind}`);
  if (filter.via) parts.push(sql`e.via = ${filter.via}`);
  if (filter.initiatorId) parts.push(sql`e.initiator_id = ${filter.initiatorId}`);
  if (filter.from) parts.push(sql`e.created_at >= ${filter.from.toISOString()}::timestamptz`);
  if (filter.to) parts.push(sql`e.created_at < ${filter.to.toISOString()}::timestamptz`);
  return sql.join(parts, sql` AND `);
}

/** Ledger entries newest first matching a filter, in cursor pages (the cursor is the last entry id). */
export async function searchLedger(
  db: Database,
  realmId: string,
  filter: LedgerFilter,
  page: { cursor?: string | undefined; limit?: number | undefined } = {},
): Promise<Page<LedgerRow>> {
  const limit = pageSize(page.limit);
  if (page.cursor && !/^\d{1,19}$/.test(page.cursor)) {
    throw new TallyError("VALIDATION", "cursor: not valid; use the Next link.");
  }
  const rows = await queryRows<{
    id: string;
    created_at: string | Date;
    currency_id: string;
    account_id: string;
    holder: string;
    credential: string | null;
    delta: string;
    balance_after: string;
    kind: string;
    description: string | null;
    initiator_type: string;
    initiator_id: string;
    via: string;
    reverses_entry_id: string | null;
    reversed_by: string | null;
  }>(
    db,
    sql`SELECT e.id::text, e.created_at, e.currency_id, e.account_id, e.delta::text, e.balance_after::text, e.kind,
        e.description, e.initiator_type, e.initiator_id, e.via, e.reverses_entry_id::text,
        (SELECT r.id::text FROM ledger_entries r WHERE r.reverses_entry_id = e.id) AS reversed_by,
        COALESCE(a.name, a.user_id, (SELECT c.type || ':' || c.value FROM credentials c
          WHERE c.account_id = e.account_id ORDER BY c.created_at LIMIT 1), e.account_id) AS holder,
        (SELECT c.type || ':' || CASE WHEN c.source = '' THEN '' ELSE c.source || ':' END || c.value
          FROM credentials c WHERE c.id = e.credential_id) AS credential
      FROM (SELECT * FROM ledger_entries e WHERE ${ledgerConditions(realmId, filter)}
        ${page.cursor ? sql`AND e.id < ${page.cursor}::bigint` : sql``}
        ORDER BY e.id DESC LIMIT ${limit + 1}) e
      JOIN accounts a ON a.id = e.account_id
      ORDER BY e.id DESC`,
  );
  const items = rows.slice(0, limit).map((r) => ({
    id: r.id,
    createdAt: new Date(r.created_at),
    currencyId: r.currency_id,
    accountId: r.account_id,
    holder: r.holder,
    credential: r.credential,
    delta: BigInt(r.delta),
    balanceAfter: BigInt(r.balance_after),
    kind: r.kind,
    description: r.description,
    initiatorType: r.initiator_type,
    initiatorId: r.initiator_id,
    via: r.via,
    reversesEntryId: r.reverses_entry_id,
    reversedBy: r.reversed_by,
  }));
  return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
}
