import { type Database, queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { toMajor } from "../amounts.ts";
import { TallyError } from "../errors.ts";
import { type LedgerFilter, ledgerConditions } from "../queries/search-ledger.ts";
import { decimal, type ExportFormat, formatRows } from "./format-rows.ts";

/** The columns of a transactions export, in order (DESIGN §7: one row per ledger entry). */
export const transactionColumns = [
  "id",
  "created_at",
  "currency_id",
  "currency",
  "account_id",
  "user_id",
  "credential_type",
  "credential_source",
  "identifier",
  "delta",
  "balance_after",
  "kind",
  "description",
  "initiator_type",
  "initiator_id",
  "via",
  "reverses_entry_id",
] as const;

/** Currency and date range (the REST route), and the dashboard's ledger explorer filters. */
export type TransactionFilter = LedgerFilter;

interface Row {
  id: string;
  created_at: string | Date;
  currency_id: string;
  currency: string;
  scale: number;
  account_id: string;
  user_id: string | null;
  credential_type: string | null;
  credential_source: string | null;
  identifier: string | null;
  delta: string | bigint;
  balance_after: string | bigint;
  kind: string;
  description: string | null;
  initiator_type: string;
  initiator_id: string;
  via: string;
  reverses_entry_id: string | null;
}

export type TransactionRow = Record<(typeof transactionColumns)[number], unknown>;

const BATCH = 1000;

/**
 * The realm's ledger, oldest first, read in batches by id so memory stays flat however long the ledger is: the
 * next batch is read only when the consumer asks for it, which is how a slow client slows the export down.
 */
export async function* transactionRows(
  db: Database,
  realmId: string,
  filter: TransactionFilter = {},
): AsyncGenerator<TransactionRow> {
  let after = "0";
  const conditions = ledgerConditions(realmId, filter);
  // Reversals (reverses_entry_id) come with a later migration; the column is read when the database has it.
  const [column] = await queryRows<{ ok: boolean }>(
    db,
    sql`SELECT EXISTS (SELECT 1 FROM information_schema.columns
      WHERE table_name = 'ledger_entries' AND column_name = 'reverses_entry_id') AS ok`,
  );
  const reverses = column?.ok ? sql.raw("e.reverses_entry_id::text") : sql.raw("NULL::text");
  for (;;) {
    const rows = await queryRows<Row>(
      db,
      sql`SELECT e.id::text AS id, e.created_at, e.currency_id, cur.name AS currency, cur.scale, e.account_id,
          a.user_id, c.type AS credential_type, c.source AS credential_source, c.value AS identifier,
          e.delta::text AS delta, e.balance_after::text AS balance_after, e.kind, e.description, e.initiator_type,
          e.initiator_id, e.via, ${reverses} AS reverses_entry_id
        FROM (
          -- the page is cut before the joins, so each batch costs the same however stale the statistics are
          SELECT * FROM ledger_entries e WHERE ${conditions} AND e.id > ${after}::bigint
          ORDER BY e.id LIMIT ${BATCH}
        ) e
        JOIN currencies cur ON cur.id = e.currency_id
        LEFT JOIN accounts a ON a.id = e.account_id
        LEFT JOIN credentials c ON c.id = e.credential_id
        ORDER BY e.id`,
    );
    for (const r of rows) {
      yield {
        id: r.id,
        created_at: new Date(r.created_at).toISOString(),
        currency_id: r.currency_id,
        currency: r.currency,
        account_id: r.account_id,
        user_id: r.user_id,
        credential_type: r.credential_type,
        credential_source: r.credential_source || null,
        identifier: r.identifier,
        delta: amount(r.delta, r.scale),
        balance_after: amount(r.balance_after, r.scale),
        kind: r.kind,
        description: r.description,
        initiator_type: r.initiator_type,
        initiator_id: r.initiator_id,
        via: r.via,
        reverses_entry_id: r.reverses_entry_id,
      };
    }
    if (rows.length < BATCH) return;
    after = rows.at(-1)?.id ?? after;
  }
}

/** Both forms at once: a JSON number in whole units (like the API), and the exact decimal text CSV writes. */
export class Amount {
  constructor(
    readonly minor: bigint,
    readonly scale: number,
  ) {}
  toJSON(): number {
    return toMajor(this.minor, this.scale);
  }
  toString(): string {
    return decimal(this.minor, this.scale);
  }
}
export const amount = (minor: string | bigint, scale: number): Amount => new Amount(BigInt(minor), scale);

/** The transactions export as text chunks of the chosen format. */
export function exportTransactions(
  db: Database,
  realmId: string,
  format: ExportFormat,
  filter: TransactionFilter = {},
): AsyncGenerator<string> {
  if (filter.from && filter.to && filter.from >= filter.to) {
    throw new TallyError("VALIDATION", "from: must be before to.");
  }
  return formatRows(transactionRows(db, realmId, filter), format, transactionColumns, csvValue);
}

/** CSV gets the exact decimal of an amount; JSON gets a number through Amount.toJSON. */
export const csvValue = (row: Record<string, unknown>, column: string): unknown => {
  const value = row[column];
  return value instanceof Amount ? value.toString() : value;
};
