import { type Database, queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { TallyError } from "../errors.ts";
import { type Page, pageSize } from "./history.ts";

export interface LeaderboardRow {
  rank: number;
  accountId: string;
  userId: string | null;
  name: string | null;
  linked: boolean;
  balance: bigint;
  /** Period boards only: what the holder received in the period, the amount ranked by. */
  received?: bigint;
  credentials: { type: string; source: string; value: string }[];
}

/**
 * Holders of a currency with a positive balance, highest first (ties by account id). The cursor carries the last
 * row's balance, account and rank, so each page is one index range scan.
 */
export async function leaderboard(
  db: Database,
  realmId: string,
  currencyId: string,
  query: { take?: number | undefined; after?: string | undefined } = {},
): Promise<Page<LeaderboardRow>> {
  const take = pageSize(query.take, 10);
  const after = query.after ? decodeCursor(query.after) : undefined;
  const rows = await queryRows<{
    account_id: string;
    user_id: string | null;
    name: string | null;
    kind: string;
    balance: string | bigint;
    credentials: { type: string; source: string; value: string }[] | string | null;
  }>(
    db,
    sql`SELECT b.account_id, a.user_id, a.name, a.kind, b.balance,
        (SELECT json_agg(json_build_object('type', c.type, 'source', c.source, 'value', c.value) ORDER BY c.created_at)
          FROM credentials c WHERE c.account_id = b.account_id) AS credentials
      FROM balances b JOIN accounts a ON a.id = b.account_id
      WHERE b.currency_id = ${currencyId} AND b.realm_id = ${realmId} AND b.balance > 0
      ${after ? sql`AND (b.balance, b.account_id) < (${after.balance.toString()}::bigint, ${after.accountId})` : sql``}
      ORDER BY b.balance DESC, b.account_id DESC
      LIMIT ${take + 1}`,
  );
  const items = rows.slice(0, take).map((r, i) => ({
    rank: (after?.rank ?? 0) + i + 1,
    accountId: r.account_id,
    userId: r.user_id,
    name: r.name,
    linked: r.kind === "member",
    balance: BigInt(r.balance),
    credentials: (typeof r.credentials === "string" ? JSON.parse(r.credentials) : r.credentials) ?? [],
  }));
  const last = items.at(-1);
  return {
    items,
    nextCursor:
      rows.length > take && last
        ? Buffer.from(JSON.stringify([last.balance.toString(), last.accountId, last.rank])).toString("base64url")
        : null,
  };
}

function decodeCursor(cursor: string): { balance: bigint; accountId: string; rank: number } {
  try {
    const [balance, accountId, rank] = JSON.parse(Buffer.from(cursor, "base64url").toString());
    if (typeof balance === "string" && typeof accountId === "string" && Number.isInteger(rank)) {
      return { balance: BigInt(balance), accountId, rank };
    }
  } catch {}
  throw new TallyError("VALIDATION", "The `after` cursor is not valid; pass back nextCursor.");
}
