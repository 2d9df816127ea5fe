import { type Database, queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import type { Subject } from "../context.ts";
import { subjectQuery } from "../ledger/delta-statement.ts";

export interface AccountDescription {
  accountId: string;
  linked: boolean;
  userId: string | null;
  name: string | null;
  /** Every identity of the account, oldest first: one per platform or sign-in once linked. */
  credentials: { type: string; source: string; value: string }[];
  /** Minor units per currency the account has ever held. */
  balances: { currencyId: string; balance: bigint }[];
}

/** Who a subject is (for `/points whoami`): its account, all its credentials and balances; undefined when unknown. */
export async function describeAccount(
  db: Database,
  realmId: string,
  subject: Subject,
): Promise<AccountDescription | undefined> {
  const [holder] = await queryRows<{ account_id: string }>(db, subjectQuery(realmId, subject, { lock: false }));
  if (!holder) return undefined;
  const [account] = await queryRows<{ id: string; kind: string; user_id: string | null; name: string | null }>(
    db,
    sql`SELECT id, kind, user_id, name FROM accounts WHERE id = ${holder.account_id}`,
  );
  if (!account) return undefined;
  const creds = await queryRows<{ type: string; source: string; value: string }>(
    db,
    sql`SELECT type, source, value FROM credentials WHERE account_id = ${account.id} ORDER BY created_at, id`,
  );
  const held = await queryRows<{ currency_id: string; balance: string | bigint }>(
    db,
    sql`SELECT currency_id, balance FROM balances WHERE account_id = ${account.id} ORDER BY currency_id`,
  );
  return {
    accountId: account.id,
    linked: account.kind === "member",
    userId: account.user_id,
    name: account.name,
    credentials: creds,
    balances: held.map((b) => ({ currencyId: b.currency_id, balance: BigInt(b.balance) })),
  };
}
