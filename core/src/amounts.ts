import { TallyError } from "./errors.ts";

/** The largest magnitude, in minor units, that a JSON number carries exactly. */
export const MAX_MINOR = BigInt(Number.MAX_SAFE_INTEGER);
export const MAX_SCALE = 6;

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i;

/**
 * Converts a JSON amount in whole units to exact minor units of a currency with `scale` decimal places.
 * Works from the number's shortest decimal form, so `0.1` with scale 1 is exactly 1 and never 0.9999….
 */
export function parseAmount(input: unknown, scale: number, options: { allowZero?: boolean } = {}): bigint {
  if (typeof input !== "number" || !Number.isFinite(input)) {
    throw new TallyError("INVALID_AMOUNT", "The amount must be a finite JSON number.");
  }
  const match = DECIMAL.exec(String(input));
  if (!match) throw new TallyError("INVALID_AMOUNT", "The amount must be a finite JSON number.");
  const [, sign = "", whole = "", fraction = "", exponentText = "0"] = match;
  const exponent = Number(exponentText);
  // digits × 10^(exponent - fraction.length) × 10^scale
  let digits = (whole + fraction).replace(/^0+(?=\d)/, "");
  let shift = exponent - fraction.length + scale;
  while (shift < 0 && digits.endsWith("0") && digits.length > 1) {
    digits = digits.slice(0, -1);
    shift += 1;
  }
  if (shift < 0) {
    throw new TallyError(
      "INVALID_AMOUNT",
      scale === 0
        ? "The amount must be a whole number: this currency has no decimal places."
        : `The amount has more than ${scale} decimal place${scale === 1 ? "" : "s"}, which this currency does not allow.`,
    );
  }
  if (digits.length + shift > 17) throw limitError();
  const minor = BigInt(digits) * 10n ** BigInt(shift) * (sign === "-" ? -1n : 1n);
  if (minor > MAX_MINOR || minor < -MAX_MINOR) throw limitError();
  if (minor === 0n && !options.allowZero) throw new TallyError("INVALID_AMOUNT", "The amount must not be zero.");
  return minor;
}

function limitError(): TallyError {
  return new TallyError("INVALID_AMOUNT", `The amount is too large: at most ${Number.MAX_SAFE_INTEGER} minor units.`);
}

/** Minor units as a JSON number in whole units; exact for every balance within MAX_MINOR. */
export function toMajor(minor: bigint, scale: number): number {
  return scale === 0 ? Number(minor) : Number(minor) / 10 ** scale;
}

/** Minor units as a decimal string in whole units, for chat replies: `1234n, 2` -> `"12.34"`. */
export function formatAmount(minor: bigint, scale: number): string {
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const fraction = scale > 0 ? `.${digits.slice(digits.length - scale)}` : "";
  return `${negative ? "-" : ""}${whole}${fraction}`;
}
