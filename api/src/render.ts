import { type BalanceChangeResult, type BalanceService, type Identifier, toMajor } from "@tally/core";
import type { Account, Currency, LedgerEntry } from "@tally/db";

/** JSON shapes of the API. Balances leave as whole-unit JSON numbers via the currency's scale, never as raw bigints. */

export function credentialBalance(identifier: Identifier, change: BalanceChangeResult) {
  return {
    credentialId: change.credentialId ?? "",
    identifier: identifier.value,
    balance: toMajor(change.balance, change.currency.scale),
    realmPointId: change.currency.id,
    linked: change.linked,
  };
}

export function user(account: Account) {
  return {
    user_id: account.userId,
    klaim_id: account.id,
    email: account.email,
    name: account.name,
    metadata: account.metadata ?? {},
    created_at: account.createdAt.toISOString(),
    updated_at: account.updatedAt.toISOString(),
  };
}

export function entry(e: LedgerEntry & { reversedBy?: string | null }, scaleOf: (currencyId: string) => number) {
  const scale = scaleOf(e.currencyId);
  return {
    id: e.id.toString(),
    accountId: e.accountId,
    realmPointId: e.currencyId,
    credentialId: e.credentialId,
    amount: toMajor(e.delta, scale),
    balanceAfter: toMajor(e.balanceAfter, scale),
    kind: e.kind,
    description: e.description,
    initiator: { type: e.initiatorType, id: e.initiatorId },
    via: e.via,
    reversesEntryId: e.reversesEntryId?.toString() ?? null,
    reversedBy: e.reversedBy ?? null,
    createdAt: e.createdAt.toISOString(),
  };
}

export function currency(c: Currency) {
  return {
    id: c.id,
    name: c.name,
    emoji: c.emoji,
    isDefault: c.isDefault,
    allowNegative: c.allowNegative,
    scale: c.scale,
  };
}

/** Decimal places by currency id for a realm, for rendering entries that may span currencies. */
export async function scalesOf(core: BalanceService, realmId: string): Promise<(currencyId: string) => number> {
  const currencies = await core.currencies(realmId);
  return (id) => currencies.find((c) => c.id === id)?.scale ?? 0;
}
