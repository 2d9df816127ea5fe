import { type AllowancePeriod, allowancePeriods, type Currency, currencies, type Database } from "@tally/db";
import { and, eq } from "drizzle-orm";
import { type AmountInput, parseAmount } from "../amounts.ts";
import { TallyError } from "../errors.ts";

export interface AllowanceInput {
  /** Whole units per period, as a JSON number. */
  amount: AmountInput;
  period: AllowancePeriod;
  /** Managers give without drawing on it (default false: they are not exempt). */
  managersExempt?: boolean | undefined;
}

/** Sets (or with null removes) a currency's allowance; what was given this period still counts after a change. */
export async function setAllowance(
  db: Database,
  realmId: string,
  currencyId: string,
  allowance: AllowanceInput | null,
): Promise<Currency> {
  const [currency] = await db
    .select()
    .from(currencies)
    .where(and(eq(currencies.realmId, realmId), eq(currencies.id, currencyId)));
  if (!currency) throw new TallyError("NOT_FOUND", `No realm point (currency) "${currencyId}" in this realm.`);
  let values: Pick<Currency, "allowanceAmount" | "allowancePeriod" | "allowanceManagersExempt">;
  if (allowance === null) {
    values = { allowanceAmount: null, allowancePeriod: null, allowanceManagersExempt: false };
  } else {
    if (!allowancePeriods.includes(allowance.period)) {
      throw new TallyError("VALIDATION", `allowance.period must be one of ${allowancePeriods.join(", ")}.`);
    }
    let amount: bigint;
    try {
      amount = parseAmount(allowance.amount, currency.scale);
    } catch (error) {
      if (error instanceof TallyError) throw new TallyError("VALIDATION", `allowance.amount: ${error.message}`);
      throw error;
    }
    if (amount <= 0n) throw new TallyError("VALIDATION", "allowance.amount must be positive.");
    values = {
      allowanceAmount: amount,
      allowancePeriod: allowance.period,
      allowanceManagersExempt: allowance.managersExempt ?? false,
    };
  }
  const [updated] = await db.update(currencies).set(values).where(eq(currencies.id, currency.id)).returning();
  if (!updated) throw new TallyError("NOT_FOUND", `No realm point (currency) "${currencyId}" in this realm.`);
  return updated;
}
