import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";

/** A signing secret in the Standard Webhooks form: `whsec_` and the base64 of 24 random bytes. */
export const newWebhookSecret = (): string => `whsec_${randomBytes(24).toString("base64")}`;

/**
 * The `webhook-signature` header: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` per secret, space-separated.
 * During a rotation both the new and the previous secret sign, so a receiver holding either verifies.
 */
export function signEvent(secrets: string[], eventId: string, at: Date, body: string): string {
  return secrets.map((secret) => new Webhook(secret).sign(eventId, at, body)).join(" ");
}
