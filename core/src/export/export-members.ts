import { type Database, queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { amount, csvValue } from "./export-ledger.ts";
import { type ExportFormat, formatRows } from "./format-rows.ts";

/** The columns of a members export: one row per account and currency it holds (an account holding none: one row). */
export const memberColumns = [
  "account_id",
  "kind",
  "user_id",
  "email",
  "name",
  "currency",
  "balance",
  "credentials",
] as const;

interface Row {
  account_id: string;
  kind: string;
  user_id: string | null;
  email: string | null;
  name: string | null;
  currency_id: string | null;
  currency: string | null;
  scale: number | null;
  balance: string | bigint | null;
  credentials: { type: string; source: string; value: string }[] | string | null;
}

export interface MemberCredential {
  type: string;
  source: string | null;
  value: string;
}

/** `type:value`, or `custom/source:value`; several are separated by spaces (no identifier contains one). */
export const formatCredential = (c: MemberCredential): string =>
  `${c.type}${c.source ? `/${c.source}` : ""}:${c.value}`;

const ACCOUNTS_PER_BATCH = 500;

export async function* memberRows(db: Database, realmId: string): AsyncGenerator<Record<string, unknown>> {
  let after = "";
  for (;;) {
    const rows = await queryRows<Row>(
      db,
      sql`SELECT a.id AS account_id, a.kind, a.user_id, a.email, a.name, b.currency_id, cur.name AS currency,
          cur.scale, b.balance::text AS balance,
          (SELECT coalesce(jsonb_agg(jsonb_build_object('type', c.type, 'source', c.source, 'value', c.value)
            ORDER BY c.type, c.source, c.value), '[]'::jsonb) FROM credentials c WHERE c.account_id = a.id) AS credentials
        FROM (SELECT * FROM accounts WHERE realm_id = ${realmId} AND id > ${after} ORDER BY id
          LIMIT ${ACCOUNTS_PER_BATCH}) a
        LEFT JOIN balances b ON b.account_id = a.id
        LEFT JOIN currencies cur ON cur.id = b.currency_id
        ORDER BY a.id, b.currency_id`,
    );
    for (const r of rows) {
      const credentials = (typeof r.credentials === "string" ? JSON.parse(r.credentials) : (r.credentials ?? [])) as {
        type: string;
        source: string;
        value: string;
      }[];
      yield {
        account_id: r.account_id,
        kind: r.kind,
        user_id: r.user_id,
        email: r.email,
        name: r.name,
        currency: r.currency,
        balance: amount(r.balance ?? 0n, r.scale ?? 0),
        credentials: credentials.map((c) => ({ type: c.type, source: c.source || null, value: c.value })),
      };
    }
    const last = rows.at(-1);
    if (!last) return;
    after = last.account_id;
  }
}

export function exportMembers(db: Database, realmId: string, format: ExportFormat): AsyncGenerator<string> {
  return formatRows(memberRows(db, realmId), format, memberColumns, (row, column) => {
    if (column === "credentials") return (row.credentials as MemberCredential[]).map(formatCredential).join(" ");
    return csvValue(row, column);
  });
}
