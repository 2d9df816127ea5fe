import { createHmac, timingSafeEqual } from "node:crypto";

/** Slack refuses requests older than this to blunt replays; so do we, in both directions for clock skew. */
export const MAX_SKEW_SECONDS = 5 * 60;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/**
 * Checks Slack's request signature: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}` keyed by the signing
 * secret, over the exact bytes received (a re-serialised body would not match).
 */
export function verifySlackSignature(input: {
  signingSecret: string;
  rawBody: string;
  timestamp: string | undefined;
  signature: string | undefined;
  nowMs?: number;
}): SignatureCheck {
  if (!input.signingSecret) return { ok: false, reason: "this server has no Slack signing secret configured" };
  if (!input.timestamp || !/^\d{1,12}$/.test(input.timestamp)) {
    return { ok: false, reason: "missing or malformed x-slack-request-timestamp header" };
  }
  if (!input.signature) return { ok: false, reason: "missing x-slack-signature header" };
  const nowSeconds = Math.floor((input.nowMs ?? Date.now()) / 1000);
  if (Math.abs(nowSeconds - Number(input.timestamp)) > MAX_SKEW_SECONDS) {
    return { ok: false, reason: "stale x-slack-request-timestamp (more than 5 minutes from now)" };
  }
  const expected = Buffer.from(signSlackRequest(input.signingSecret, input.timestamp, input.rawBody));
  const given = Buffer.from(input.signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: "signature mismatch" };
  }
  return { ok: true };
}

/** The `x-slack-signature` value Slack would send for this body at this timestamp. */
export function signSlackRequest(signingSecret: string, timestamp: string, rawBody: string): string {
  return `v0=${createHmac("sha256", signingSecret).update(`v0:${timestamp}:${rawBody}`).digest("hex")}`;
}
