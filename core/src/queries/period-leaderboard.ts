import { type Database, queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { TallyError } from "../errors.ts";
import type { Page } from "./history.ts";
import { pageSize } from "./history.ts";
import type { LeaderboardRow } from "./leaderboard.ts";

export const periods = ["day", "week", "month", "all"] as const;
export type Period = (typeof periods)[number];

export const isPeriod = (value: unknown): value is Period =>
  typeof value === "string" && (periods as readonly string[]).includes(value);

/**
 * Who received the most in the current day, week (from Monday) or month of the realm's time zone: the sum of positive
 * gives, tips and imports (links move points already received; undone entries do not count), ranked with ties sharing
 * a rank. Entries are credited to the account their credential belongs to now, so a member who linked later keeps
 * what their ghost received. One range scan of the (realm, currency, created_at) index.
 */
export async function periodLeaderboard(
  db: Database,
  realmId: string,
  currencyId: string,
  query: {
    period: Exclude<Period, "all">;
    timezone: string;
    now: Date;
    take?: number | undefined;
    after?: string | undefined;
  },
): Promise<Page<LeaderboardRow> & { since: Date }> {
  const take = pageSize(query.take, 10);
  const offset = query.after ? decodeOffset(query.after) : 0;
  const now = query.now.toISOString();
  const since = sql`(date_trunc(${query.period}, ${now}::timestamptz AT TIME ZONE ${query.timezone}) AT TIME ZONE ${query.timezone})`;
  const rows = await queryRows<{
    account_id: string;
    user_id: string | null;
    name: string | null;
    kind: string;
    received: string | bigint;
    balance: string | bigint | null;
    rank: string | number;
    since: Date | string;
    credentials: { type: string; source: string; value: string }[] | string | null;
  }>(
    db,
    sql`WITH totals AS (
        SELECT COALESCE(c.account_id, e.account_id) AS account_id, sum(e.delta) AS received
        FROM ledger_entries e LEFT JOIN credentials c ON c.id = e.credential_id
        WHERE e.realm_id = ${realmId} AND e.currency_id = ${currencyId}
          AND e.created_at >= ${since} AND e.created_at <= ${now}::timestamptz
          AND e.delta > 0 AND e.kind IN ('adjust', 'transfer', 'import')
          AND NOT EXISTS (SELECT 1 FROM ledger_entries r WHERE r.reverses_entry_id = e.id)
        GROUP BY 1
      ), ranked AS (SELECT account_id, received, rank() OVER (ORDER BY received DESC) AS rank FROM totals),
      page AS (SELECT * FROM ranked ORDER BY received DESC, account_id LIMIT ${take + 1} OFFSET ${offset})
      -- Names, balances and credentials for the page only, not for everyone who received something.
      SELECT t.account_id, a.user_id, a.name, a.kind, t.received, t.rank, b.balance, ${since} AS since,
        (SELECT json_agg(json_build_object('type', c.type, 'source', c.source, 'value', c.value) ORDER BY c.created_at)
          FROM credentials c WHERE c.account_id = t.account_id) AS credentials
      FROM page t JOIN accounts a ON a.id = t.account_id
        LEFT JOIN balances b ON b.account_id = t.account_id AND b.currency_id = ${currencyId}
      ORDER BY t.received DESC, t.account_id`,
  );
  const items = rows.slice(0, take).map((r) => ({
    rank: Number(r.rank),
    accountId: r.account_id,
    userId: r.user_id,
    name: r.name,
    linked: r.kind === "member",
    balance: BigInt(r.balance ?? 0),
    received: BigInt(r.received),
    credentials: (typeof r.credentials === "string" ? JSON.parse(r.credentials) : r.credentials) ?? [],
  }));
  const [sinceRow] =
    rows.length > 0 ? rows : await queryRows<{ since: Date | string }>(db, sql`SELECT ${since} AS since`);
  return {
    items,
    since: new Date(sinceRow?.since ?? query.now),
    nextCursor: rows.length > take ? Buffer.from(JSON.stringify([offset + take])).toString("base64url") : null,
  };
}

function decodeOffset(cursor: string): number {
  try {
    const [offset] = JSON.parse(Buffer.from(cursor, "base64url").toString());
    if (Number.isSafeInteger(offset) && offset >= 0) return offset;
  } catch {}
  throw new TallyError("VALIDATION", "The `after` cursor is not valid; pass back nextCursor.");
}
