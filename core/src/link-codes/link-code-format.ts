import { randomInt } from "node:crypto";
import { TallyError } from "../errors.ts";
import { sha256 } from "../ids.ts";

/** No 0/O, 1/I/L: a code read aloud or copied by hand survives. 31 symbols, 8 of them: about 8.5e11 codes. */
export const LINK_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
export const LINK_CODE_PREFIX = "TALLY-";
export const LINK_CODE_LENGTH = 8;
export const LINK_CODE_TTL_MS = 10 * 60_000;

const SHAPE = new RegExp(`^${LINK_CODE_PREFIX}[${LINK_CODE_ALPHABET}]{${LINK_CODE_LENGTH}}$`);

export function newLinkCode(): string {
  let body = "";
  for (let i = 0; i < LINK_CODE_LENGTH; i++) body += LINK_CODE_ALPHABET[randomInt(LINK_CODE_ALPHABET.length)];
  return `${LINK_CODE_PREFIX}${body}`;
}

/** The code as issued, from what a person typed: any case, the prefix optional, spaces and dashes ignored. */
export function normalizeLinkCode(text: string): string {
  const compact = text.toUpperCase().replace(/[\s-]/g, "");
  const body = compact.startsWith("TALLY") ? compact.slice("TALLY".length) : compact;
  const code = `${LINK_CODE_PREFIX}${body}`;
  if (!SHAPE.test(code)) {
    throw new TallyError(
      "VALIDATION",
      `"${text.slice(0, 40)}" is not a link code: codes look like ${LINK_CODE_PREFIX}${"X".repeat(LINK_CODE_LENGTH)}.`,
      { subject: "link-code" },
    );
  }
  return code;
}

/** Codes are stored as this hash only, like API keys. */
export const hashLinkCode = (code: string): string => sha256(code);
