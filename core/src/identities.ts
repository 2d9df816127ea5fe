import { type CredentialType, credentialTypes } from "@tally/db";
import { TallyError } from "./errors.ts";

export { type CredentialType, credentialTypes };

/** A credential identifier after normalisation: the unique key of a credential within a realm. */
export interface Identifier {
  type: CredentialType;
  /** Empty for every type but `custom`. */
  source: string;
  value: string;
}

const SNOWFLAKE = /^\d{17,20}$/;
const EVM_ADDRESS = /^0x[0-9a-fA-F]{40}$/;
// Deliberately loose: one @, something on both sides, a dot in the domain, no spaces.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MAX_VALUE_LENGTH = 256;

export function isCredentialType(type: unknown): type is CredentialType {
  return typeof type === "string" && (credentialTypes as readonly string[]).includes(type);
}

// Control (Cc) and format (Cf) characters: NUL, newlines, zero-width spaces and joiners, BOM, bidi marks, soft hyphen.
const INVISIBLE = /[\p{Cc}\p{Cf}]/gu;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * Text as people read it: invisible characters removed, then NFKC, which also folds compatibility forms such as
 * fullwidth letters (`Ａ` -> `A`) and composes `e` + `◌́` into `é`, so look-alike identifiers are one credential.
 */
export function canonicalText(text: string, options: { foldCase?: boolean } = {}): string {
  // Printable ASCII has no invisible characters and is its own NFKC form: most identifiers skip the Unicode work.
  if (PRINTABLE_ASCII.test(text)) return (options.foldCase ? text.toLowerCase() : text).trim();
  if (/\p{Cs}/u.test(text)) throw new TallyError("VALIDATION", "The identifier is not valid Unicode text.");
  let result = text.replace(INVISIBLE, "").normalize("NFKC");
  // Lower-casing can leave a combining mark (`İ` -> `i̇`) that composition must see again.
  if (options.foldCase) result = result.toLowerCase().normalize("NFKC");
  return result.trim();
}

/** Validates and normalises an identifier; throws VALIDATION with a message that says what to fix. */
export function normalizeIdentifier(type: string, value: string, source?: string | null): Identifier {
  if (!isCredentialType(type)) {
    throw new TallyError("VALIDATION", `Unknown credential type "${type}": use one of ${credentialTypes.join(", ")}.`);
  }
  const trimmed = canonicalText(value, { foldCase: type === "email" });
  if (trimmed.length === 0) throw new TallyError("VALIDATION", "The credential value must not be empty.");
  if (trimmed.length > MAX_VALUE_LENGTH) {
    throw new TallyError("VALIDATION", `The credential value must be at most ${MAX_VALUE_LENGTH} characters.`);
  }
  const cleanSource = source ? canonicalText(source, { foldCase: true }) : "";
  if (type === "custom") {
    if (!cleanSource) throw new TallyError("VALIDATION", 'A "custom" credential needs a source, e.g. source=shopify.');
    if (cleanSource.length > 64) throw new TallyError("VALIDATION", "The source must be at most 64 characters.");
    return { type, source: cleanSource, value: trimmed };
  }
  if (cleanSource)
    throw new TallyError("VALIDATION", `A source is only allowed for "custom" credentials, not "${type}".`);
  switch (type) {
    case "discord-id":
      if (!SNOWFLAKE.test(trimmed)) {
        throw new TallyError("VALIDATION", "A discord-id must be a Discord user id: 17 to 20 digits.");
      }
      return { type, source: "", value: trimmed };
    case "email": {
      if (!EMAIL.test(trimmed)) throw new TallyError("VALIDATION", `"${trimmed}" is not an email address.`);
      return { type, source: "", value: trimmed };
    }
    case "wallet":
      if (trimmed.startsWith("0x") || trimmed.startsWith("0X")) {
        if (!EVM_ADDRESS.test(trimmed)) {
          throw new TallyError("VALIDATION", "An EVM wallet must be 0x followed by 40 hexadecimal digits.");
        }
        return { type, source: "", value: trimmed.toLowerCase() };
      }
      // Non-EVM addresses (Solana, Bitcoin…) are case-sensitive: kept as given.
      if (/\s/.test(trimmed)) throw new TallyError("VALIDATION", "A wallet address must not contain spaces.");
      return { type, source: "", value: trimmed };
    case "twitter-id":
      if (!/^\d{1,20}$/.test(trimmed)) throw new TallyError("VALIDATION", "A twitter-id must be the numeric user id.");
      return { type, source: "", value: trimmed };
  }
}

/** How an identifier reads to a person: `email:ada@example.com`, `custom/slack:U123`. */
export function describeIdentifier(id: Identifier): string {
  return id.type === "custom" ? `custom/${id.source}:${id.value}` : `${id.type}:${id.value}`;
}
