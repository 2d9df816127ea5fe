import { formatAmount } from "@tally/core";
import pluralize from "pluralize";

/** What a reply needs of a currency to name an amount of it. */
export interface CurrencyLabel {
  name: string;
  emoji?: string | null;
  scale: number;
}

/** A balance or delta in minor units as people read it: "1 point", "25 points", "1.50 gems", "-1 coin". */
export function quantity(minor: bigint, cur: CurrencyLabel): string {
  return withUnit(formatAmount(minor, cur.scale), cur);
}

// Building a NumberFormat costs more than a whole command's own logic (toLocaleString builds one per call).
const typedFormats = Array.from(
  { length: 7 },
  (_, scale) => new Intl.NumberFormat("en-US", { maximumFractionDigits: scale }),
);

/** An amount as typed in a command (whole units), labelled the same way. */
export function typedQuantity(amount: number, cur: CurrencyLabel): string {
  const format = typedFormats[cur.scale] ?? new Intl.NumberFormat("en-US", { maximumFractionDigits: cur.scale });
  return withUnit(format.format(amount), cur);
}

function withUnit(shown: string, cur: CurrencyLabel): string {
  return `${shown} ${cur.emoji ? `${cur.emoji} ` : ""}${unitName(cur.name, shown)}`;
}

/**
 * The currency's name for an amount shown as `shown`. Names are written in the plural ("points", "coins"); English
 * makes only a bare 1 singular ("1.00 points" stays plural, as CLDR's rules say). A name that is no English plural
 * (an emoji, "karma", "Punkte") is left as it is.
 */
export function unitName(name: string, shown: string): string {
  return /^[-+]?1$/.test(shown) && /[a-z]$/i.test(name) ? pluralize.singular(name) : name;
}
