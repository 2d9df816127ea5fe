import { TallyError, type WriteContext } from "@tally/core";
import type { FastifyReply, FastifyRequest } from "fastify";
import { realmOf } from "./plugins/auth.ts";

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * The core WriteContext of an API write: the key's realm (checked against the path), the key as initiator unless the
 * caller names one, and the `Idempotency-Key` header, namespaced so API keys never collide with bot delivery ids.
 */
export function writeContext(request: FastifyRequest, realmIdInPath?: string, initiatorId?: string): WriteContext {
  const realmId = realmOf(request, realmIdInPath);
  const header = request.headers["idempotency-key"];
  if (Array.isArray(header)) throw new TallyError("VALIDATION", "Send one Idempotency-Key header.");
  if (header !== undefined && !IDEMPOTENCY_KEY.test(header)) {
    throw new TallyError("VALIDATION", "An Idempotency-Key is 1-255 printable ASCII characters.");
  }
  return {
    realmId,
    initiator: { type: "api_key", id: initiatorId ?? request.apiKey?.id ?? "unknown" },
    via: "api",
    idempotencyKey: header === undefined ? undefined : `api:${header}`,
  };
}

/** Marks a response as the stored result of an earlier request with the same key. */
export function markReplay(reply: FastifyReply, replayed: boolean): void {
  if (replayed) reply.header("idempotent-replayed", "true");
}
