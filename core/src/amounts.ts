import { TallyError } from "./errors.ts";

/** The largest magnitude, in minor units, that a JSON number carries exactly. */
export const MAX_MINOR = BigInt(Number.MAX_SAFE_INTEGER);
export const MAX_SCALE = 6;

/**
 * A JSON number kept as its decimal text because a double would round it (`76171785121845.93` reads back as
 * `…45.94`). The API parses such numbers into this and writes it back out verbatim.
 */
export class JsonDecimal {
  constructor(readonly text: string) {}
  toJSON(): string {
    return this.text;
  }
  toString(): string {
    return this.text;
  }
}

/** An amount in whole units: a JS number, or a JSON number's exact text. */
export type AmountInput = number | JsonDecimal;

// The JSON number grammar (leading zeros tolerated): sign, digits, optional fraction and exponent.
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i;

interface Decimal {
  negative: boolean;
  /** Significant digits without leading zeros ("0" for zero). */
  digits: string;
  /** The value is digits × 10^exponent. */
  exponent: number;
}

/** Reads a number or its decimal text without a detour through a double; undefined when it is not a finite number. */
function decimalOf(input: unknown): Decimal | undefined {
  if (typeof input === "number" && Number.isSafeInteger(input)) return integerDecimal(input);
  let text: string;
  if (input instanceof JsonDecimal) text = input.text;
  // String(number) is the shortest text that reads back as the same double, so 0.1 stays 0.1.
  else if (typeof input === "number" && Number.isFinite(input)) text = String(input);
  else return undefined;
  const match = DECIMAL.exec(text);
  if (!match) return undefined;
  const [, sign = "", whole = "", fraction = "", exponentText = "0"] = match;
  let digits = (whole + fraction).replace(/^0+(?=\d)/, "");
  let exponent = Number(exponentText) - fraction.length;
  if (!Number.isSafeInteger(exponent)) return undefined;
  if (/^0+$/.test(digits)) return { negative: false, digits: "0", exponent: 0 };
  while (digits.endsWith("0")) {
    digits = digits.slice(0, -1);
    exponent += 1;
  }
  return { negative: sign === "-", digits, exponent };
}

/** The common case without a regular expression: a whole number a double holds exactly. */
function integerDecimal(value: number): Decimal {
  if (value === 0) return { negative: false, digits: "0", exponent: 0 };
  let digits = String(Math.abs(value));
  let exponent = 0;
  while (digits.endsWith("0")) {
    digits = digits.slice(0, -1);
    exponent += 1;
  }
  return { negative: value < 0, digits, exponent };
}

// Whole numbers of at most 15 digits: a double holds every one exactly, so their text needs no comparison.
const SHORT_INTEGER = /^-?[1-9]\d{0,14}$/;

/**
 * The value of a JSON number's text: a number when a double holds it exactly (`1.50` -> 1.5), else the text itself
 * as a JsonDecimal (`76171785121845.93`), so no amount is silently rounded on its way in or out.
 */
export function fromJsonText(text: string): number | JsonDecimal {
  if (SHORT_INTEGER.test(text)) return Number(text);
  const number = Number(text);
  const exact = decimalOf(new JsonDecimal(text));
  const held = decimalOf(number);
  const same =
    exact !== undefined &&
    held !== undefined &&
    exact.negative === held.negative &&
    exact.digits === held.digits &&
    exact.exponent === held.exponent;
  return same ? number : new JsonDecimal(text);
}

/** True when the amount is a whole number, judged from its exact decimal form. */
export function isWholeAmount(input: AmountInput): boolean {
  const decimal = decimalOf(input);
  return decimal !== undefined && decimal.exponent >= 0;
}

/**
 * Converts an amount in whole units to exact minor units of a currency with `scale` decimal places, working from
 * its decimal form: `0.1` at scale 1 is exactly 1, and `"76171785121845.93"` at scale 2 is exactly 7617178512184593.
 */
export function parseAmount(input: unknown, scale: number, options: { allowZero?: boolean } = {}): bigint {
  const decimal = decimalOf(input);
  if (!decimal) throw new TallyError("INVALID_AMOUNT", "The amount must be a finite JSON number.");
  if (decimal.digits === "0") {
    if (options.allowZero) return 0n;
    throw new TallyError("INVALID_AMOUNT", "The amount must not be zero.");
  }
  const shift = decimal.exponent + scale;
  if (shift < 0) {
    throw new TallyError(
      "INVALID_AMOUNT",
      scale === 0
        ? "The amount must be a whole number: this currency has no decimal places."
        : `The amount has more than ${scale} decimal place${scale === 1 ? "" : "s"}, which this currency does not allow.`,
    );
  }
  if (decimal.digits.length + shift > 16) throw limitError();
  const minor = BigInt(decimal.digits) * 10n ** BigInt(shift) * (decimal.negative ? -1n : 1n);
  if (minor > MAX_MINOR || minor < -MAX_MINOR) throw limitError();
  return minor;
}

/**
 * Minor units as a JSON amount in whole units: a number when a double holds it exactly, else its exact decimal text
 * (`7617178512184593n, 2` -> `JsonDecimal("76171785121845.93")`).
 */
export function toJsonAmount(minor: bigint, scale: number): number | JsonDecimal {
  if (scale === 0 && minor <= MAX_MINOR && minor >= -MAX_MINOR) return Number(minor);
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(scale + 1, "0");
  const fraction = digits.slice(digits.length - scale).replace(/0+$/, "");
  return fromJsonText(
    `${negative ? "-" : ""}${digits.slice(0, digits.length - scale)}${fraction ? `.${fraction}` : ""}`,
  );
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
