import { type CurrencyPatch, JsonDecimal, MAX_SCALE, parseAmount, TallyError } from "@tally/core";
import type { Currency } from "@tally/db";

/** The edit form's fields as the browser sends them back, kept to show again beside an error. */
export interface CurrencyFormValues {
  name: string;
  emoji: string;
  scale: string;
  allowNegative: boolean;
  isDefault: boolean;
  /** `none`, `day`, `week` or `month`. */
  allowancePeriod: string;
  /** Whole units in the currency's scale, as typed: `2.5`. */
  allowanceAmount: string;
  managersExempt: boolean;
}

export type CurrencyFormBody = Partial<Record<keyof CurrencyFormValues, unknown>>;

const text = (value: unknown): string => (typeof value === "string" ? value.trim() : "");

export function formValuesOf(body: CurrencyFormBody): CurrencyFormValues {
  return {
    name: text(body.name),
    emoji: text(body.emoji),
    scale: text(body.scale),
    allowNegative: body.allowNegative === "on",
    isDefault: body.isDefault === "on",
    allowancePeriod: text(body.allowancePeriod) || "none",
    allowanceAmount: text(body.allowanceAmount),
    managersExempt: body.managersExempt === "on",
  };
}

/** A currency's current settings, as the form shows them (the allowance in whole units of its scale). */
export function currencyFormValues(c: Currency): CurrencyFormValues {
  return {
    name: c.name,
    emoji: c.emoji ?? "",
    scale: String(c.scale),
    allowNegative: c.allowNegative,
    isDefault: c.isDefault,
    allowancePeriod: c.allowancePeriod ?? "none",
    allowanceAmount: c.allowanceAmount === null ? "" : wholeUnits(c.allowanceAmount, c.scale),
    managersExempt: c.allowanceManagersExempt,
  };
}

/** Minor units as plain decimal text for an input (no thousands separators): `250n, 2` -> `2.50`. */
export function wholeUnits(minor: bigint, scale: number): string {
  const digits = minor.toString().padStart(scale + 1, "0");
  return scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

const bad = (message: string) => new TallyError("VALIDATION", message);

/**
 * The patch the form asks for, checked here field by field so an error names the form's field; core checks it again
 * against the locked currency row (the scale rule, the archive rule).
 */
export function readCurrencyForm(values: CurrencyFormValues): CurrencyPatch {
  if (!values.name || values.name.length > 64) throw bad("name: 1 to 64 characters.");
  if (values.emoji.length > 64) throw bad("emoji: at most 64 characters.");
  if (!/^\d$/.test(values.scale) || Number(values.scale) > MAX_SCALE) {
    throw bad(`scale: a whole number from 0 to ${MAX_SCALE}.`);
  }
  const scale = Number(values.scale);
  const patch: CurrencyPatch = {
    name: values.name,
    emoji: values.emoji || null,
    scale,
    allowNegative: values.allowNegative,
    ...(values.isDefault && { isDefault: true as const }),
  };
  if (values.allowancePeriod === "none") return { ...patch, allowance: null };
  if (values.allowancePeriod !== "day" && values.allowancePeriod !== "week" && values.allowancePeriod !== "month") {
    throw bad("allowance period: choose none, day, week or month.");
  }
  if (!/^\d+(\.\d+)?$/.test(values.allowanceAmount)) {
    throw bad("allowance amount: a positive number like 10 or 2.5 (needed when an allowance period is chosen).");
  }
  const amount = new JsonDecimal(values.allowanceAmount);
  try {
    parseAmount(amount, scale);
  } catch (error) {
    if (error instanceof TallyError && error.code === "INVALID_AMOUNT") throw bad(`allowance amount: ${error.message}`);
    throw error;
  }
  return {
    ...patch,
    allowance: { amount, period: values.allowancePeriod, managersExempt: values.managersExempt },
  };
}
