import { type AllowancePeriod, allowancePeriods, type Currency } from "@tally/db";
import { type AmountInput, parseAmount } from "../amounts.ts";
import { TallyError } from "../errors.ts";

export interface AllowanceInput {
  /** Whole units per period, as a JSON number. */
  amount: AmountInput;
  period: AllowancePeriod;
  /** Managers give without drawing on it (default false: they are not exempt). */
  managersExempt?: boolean | undefined;
}

/**
 * The currency columns an allowance (or its removal, null) sets, checked against the currency's scale. What was given
 * in the current period still counts after a change.
 */
export function allowanceValues(
  allowance: AllowanceInput | null,
  scale: number,
): Pick<Currency, "allowanceAmount" | "allowancePeriod" | "allowanceManagersExempt"> {
  if (allowance === null) return { allowanceAmount: null, allowancePeriod: null, allowanceManagersExempt: false };
  if (!allowancePeriods.includes(allowance.period)) {
    throw new TallyError("VALIDATION", `allowance.period must be one of ${allowancePeriods.join(", ")}.`);
  }
  let amount: bigint;
  try {
    amount = parseAmount(allowance.amount, scale);
  } catch (error) {
    if (error instanceof TallyError) throw new TallyError("VALIDATION", `allowance.amount: ${error.message}`);
    throw error;
  }
  if (amount <= 0n) throw new TallyError("VALIDATION", "allowance.amount must be positive.");
  return {
    allowanceAmount: amount,
    allowancePeriod: allowance.period,
    allowanceManagersExempt: allowance.managersExempt ?? false,
  };
}
