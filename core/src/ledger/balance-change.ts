import type { DeltaRow } from "./delta-statement.ts";

/** The outcome of a delta on one account, as every door renders it. */
export interface BalanceChange {
  entryId: string;
  accountId: string;
  credentialId: string | null;
  currencyId: string;
  /** Minor units after the change. */
  balance: bigint;
  linked: boolean;
  /** True when this is the stored result of an earlier request with the same idempotency key. */
  replayed: boolean;
}

/** The JSON form stored with an idempotency key; bigints as strings. */
export interface StoredChange {
  entryId: string;
  accountId: string;
  credentialId: string | null;
  currencyId: string;
  balance: string;
  linked: boolean;
}

export function changeFromRow(row: DeltaRow, currencyId: string): BalanceChange {
  return {
    entryId: String(row.entry_id),
    accountId: row.account_id,
    credentialId: row.credential_id,
    currencyId,
    balance: BigInt(row.balance_after),
    linked: row.kind === "member",
    replayed: false,
  };
}

export const storeChange = (c: BalanceChange): StoredChange => ({
  entryId: c.entryId,
  accountId: c.accountId,
  credentialId: c.credentialId,
  currencyId: c.currencyId,
  balance: c.balance.toString(),
  linked: c.linked,
});

export const replayedChange = (s: StoredChange): BalanceChange => ({
  ...s,
  balance: BigInt(s.balance),
  replayed: true,
});
