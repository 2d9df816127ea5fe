import type { Currency, Database } from "@tally/db";
import type { Subject } from "../context.ts";
import { findCredential } from "../ledger/ensure-credential.ts";
import type { AllowanceState } from "./give-gift.ts";
import { usedIn } from "./give-gift.ts";
import { periodBounds } from "./period-bounds.ts";

/** What a member has left to give of a currency's allowance this period; null when the currency has none. */
export async function allowanceLeft(
  db: Database,
  realmId: string,
  giver: Subject,
  currency: Currency,
  now: Date,
  timeZone: string,
): Promise<AllowanceState | null> {
  if (currency.allowanceAmount === null || currency.allowancePeriod === null) return null;
  const { start, end } = periodBounds(now, currency.allowancePeriod, timeZone);
  const accountId =
    giver.kind === "account"
      ? giver.accountId
      : giver.kind === "credential"
        ? (await findCredential(db, realmId, giver.identifier))?.accountId
        : undefined;
  const used = accountId ? await usedIn(db, currency.id, accountId, start) : 0n;
  const remaining = currency.allowanceAmount - used;
  return {
    amount: currency.allowanceAmount,
    used,
    remaining: remaining > 0n ? remaining : 0n,
    period: currency.allowancePeriod,
    resetsAt: end,
  };
}
