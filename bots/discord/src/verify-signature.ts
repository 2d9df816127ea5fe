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

/** A signed request older (or further ahead) than this is refused, so a captured one cannot be replayed later. */
export const MAX_SKEW_SECONDS = 5 * 60;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/**
 * Discord signs `timestamp + raw body` with Ed25519. A missing, malformed or wrong signature fails, and so does a
 * timestamp more than five minutes from now (the replay window Slack's signatures have; Discord's own is unstated).
 */
export function verifyDiscordSignature(
  key: KeyObject,
  rawBody: string,
  signature: string | undefined,
  timestamp: string | undefined,
  nowMs = Date.now(),
): SignatureCheck {
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) {
    return { ok: false, reason: "missing or malformed x-signature-timestamp header" };
  }
  if (!signature || !/^[0-9a-fA-F]{128}$/.test(signature)) {
    return { ok: false, reason: "missing or malformed x-signature-ed25519 header" };
  }
  if (Math.abs(Math.floor(nowMs / 1000) - Number(timestamp)) > MAX_SKEW_SECONDS) {
    return { ok: false, reason: "stale x-signature-timestamp (more than 5 minutes from now)" };
  }
  try {
    if (verify(null, Buffer.from(timestamp + rawBody), key, Buffer.from(signature, "hex"))) return { ok: true };
  } catch {}
  return { ok: false, reason: "signature mismatch" };
}
