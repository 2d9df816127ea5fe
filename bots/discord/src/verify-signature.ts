import { createPublicKey, type KeyObject, verify } from "node:crypto";

// DER prefix of an SPKI-wrapped Ed25519 public key; Discord hands out the raw 32 bytes as hex.
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** The application's public key (64 hex digits from the Developer Portal) as a Node key object. */
export function discordPublicKey(hex: string): KeyObject {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new Error("The Discord public key must be the application's 64-hex-digit public key.");
  }
  return createPublicKey({
    key: Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(hex, "hex")]),
    format: "der",
    type: "spki",
  });
}

/** Discord signs `timestamp + raw body` with Ed25519; anything else, including a malformed signature, is false. */
export function verifyDiscordSignature(
  key: KeyObject,
  rawBody: string,
  signature: string | undefined,
  timestamp: string | undefined,
): boolean {
  if (!signature || !timestamp || !/^[0-9a-fA-F]{128}$/.test(signature)) return false;
  try {
    return verify(null, Buffer.from(timestamp + rawBody), key, Buffer.from(signature, "hex"));
  } catch {
    return false;
  }
}
