import { formatAmount } from "@tally/core";

export interface CurrencyLike {
  id: string;
  name: string;
  emoji: string | null;
  scale: number;
}

/** An amount in the currency's scale with its emoji (or name): `12.50 🪙`. */
export function amountText(
  minor: bigint,
  currency: CurrencyLike | undefined,
  options: { sign?: boolean } = {},
): string {
  if (!currency) return minor.toString();
  const sign = options.sign && minor > 0n ? "+" : "";
  return `${sign}${formatAmount(minor, currency.scale)} ${currency.emoji ?? currency.name}`;
}

/** Dates in the realm's time zone (UTC until realms carry one), minute precision. */
export function timeText(at: Date, timeZone = "UTC"): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${part("year")}-${part("month")}-${part("day")} ${part("hour")}:${part("minute")}`;
}
