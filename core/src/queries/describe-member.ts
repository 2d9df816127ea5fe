import { type Database, queryRows } from "@tally/db";
import { sql } from "drizzle-orm";

export interface MemberDetail {
  accountId: string;
  kind: string;
  userId: string | null;
  name: string | null;
  email: string | null;
  credentials: { id: string; type: string; source: string; value: string }[];
  balances: { currencyId: string; balance: bigint }[];
}

/** An account of the realm with its credentials and balances; undefined when the realm has no such account. */
export async function describeMember(
  db: Database,
  realmId: string,
  accountId: string,
): Promise<MemberDetail | undefined> {
  const [account] = await queryRows<{
    id: string;
    kind: string;
    user_id: string | null;
    name: string | null;
    email: string | null;
  }>(db, sql`SELECT id, kind, user_id, name, email FROM accounts WHERE realm_id = ${realmId} AND id = ${accountId}`);
  if (!account) return undefined;
  const [credentials, balances] = await Promise.all([
    queryRows<{ id: string; type: string; source: string; value: string }>(
      db,
      sql`SELECT id, type, source, value FROM credentials WHERE account_id = ${accountId} ORDER BY created_at`,
    ),
    queryRows<{ currency_id: string; balance: string }>(
      db,
      sql`SELECT currency_id, balance::text FROM balances WHERE account_id = ${accountId} ORDER BY currency_id`,
    ),
  ]);
  return {
    accountId: account.id,
    kind: account.kind,
    userId: account.user_id,
    name: account.name,
    email: account.email,
    credentials,
    balances: balances.map((b) => ({ currencyId: b.currency_id, balance: BigInt(b.balance) })),
  };
}

/** An account's balance after each of its latest entries in a currency, oldest first (for a chart). */
export async function balanceOverTime(
  db: Database,
  accountId: string,
  currencyId: string,
  limit = 500,
): Promise<{ at: Date; balance: bigint }[]> {
  const rows = await queryRows<{ created_at: string | Date; balance_after: string }>(
    db,
    sql`SELECT created_at, balance_after::text FROM ledger_entries
      WHERE account_id = ${accountId} AND currency_id = ${currencyId} ORDER BY id DESC LIMIT ${limit}`,
  );
  return rows.reverse().map((r) => ({ at: new Date(r.created_at), balance: BigInt(r.balance_after) }));
}
