import { type Database, type LedgerEntry, ledgerEntries } from "@tally/db";
import { and, desc, eq, getTableColumns, lt, type SQL, sql } from "drizzle-orm";
import { TallyError } from "../errors.ts";

export interface HistoryQuery {
  accountId?: string | undefined;
  currencyId?: string | undefined;
  /** The `nextCursor` of the previous page. */
  cursor?: string | undefined;
  limit?: number | undefined;
}

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export const MAX_PAGE = 100;

/** An entry as history shows it: with the id of the entry that reversed it, if any. */
export type HistoryEntry = LedgerEntry & { reversedBy: string | null };

/** Ledger entries newest first, in stable cursor pages. */
export async function history(db: Database, realmId: string, query: HistoryQuery = {}): Promise<Page<HistoryEntry>> {
  const limit = pageSize(query.limit);
  const where: SQL[] = [eq(ledgerEntries.realmId, realmId)];
  if (query.accountId) where.push(eq(ledgerEntries.accountId, query.accountId));
  if (query.currencyId) where.push(eq(ledgerEntries.currencyId, query.currencyId));
  if (query.cursor) where.push(lt(ledgerEntries.id, parseEntryCursor(query.cursor)));
  const rows = await db
    .select({
      ...getTableColumns(ledgerEntries),
      // Spelled out: drizzle renders a column of a one-table select unqualified, which the subquery would capture.
      reversedBy: sql<string | null>`(SELECT r.id::text FROM ledger_entries r
        WHERE r.reverses_entry_id = ledger_entries.id)`,
    })
    .from(ledgerEntries)
    .where(and(...where))
    .orderBy(desc(ledgerEntries.id))
    .limit(limit + 1);
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? last.id.toString() : null };
}

export function pageSize(limit: number | undefined, fallback = 25): number {
  if (limit === undefined) return fallback;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new TallyError("VALIDATION", `The page size must be a whole number from 1 to ${MAX_PAGE}.`);
  }
  return limit;
}

function parseEntryCursor(cursor: string): bigint {
  if (!/^\d{1,19}$/.test(cursor)) throw new TallyError("VALIDATION", "The cursor is not valid; pass back nextCursor.");
  return BigInt(cursor);
}
