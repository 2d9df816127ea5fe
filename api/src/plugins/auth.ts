import { hash } from "node:crypto";
import { type BalanceService, TallyError } from "@tally/core";
import type { ApiKey } from "@tally/db";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { HttpError } from "./errors.ts";

declare module "fastify" {
  interface FastifyRequest {
    apiKey?: ApiKey;
  }
  interface FastifyContextConfig {
    /** Routes open without a key: health, metrics, docs, bot transports (which verify their own signatures). */
    public?: boolean;
  }
}

/** How long a process trusts a key lookup; a revoked key stops working within this. */
const KEY_TTL_MS = 10_000;
const MAX_CACHED_KEYS = 10_000;

/**
 * Bearer API keys. The lookup by SHA-256 is cached briefly so a request does not pay a database round trip for it;
 * only known keys are cached, so guessing cannot grow the cache. The cache holds the lookup's settled promise, so a
 * burst of requests with a key that is not cached yet sends one query, not one each.
 */
export function registerAuth(app: FastifyInstance, core: BalanceService): void {
  const cache = new Map<string, { key: Promise<ApiKey | undefined>; at: number }>();

  function lookup(plain: string): Promise<ApiKey | undefined> {
    const digest = hash("sha256", plain, "hex");
    const hit = cache.get(digest);
    const now = Date.now();
    if (hit && now - hit.at < KEY_TTL_MS) return hit.key;
    const key = core.authenticateApiKey(plain);
    if (cache.size >= MAX_CACHED_KEYS) cache.clear();
    cache.set(digest, { key, at: now });
    // Only known keys stay; an unknown key or a failed lookup leaves (unless a newer lookup replaced it meanwhile).
    const forget = () => cache.get(digest)?.key === key && cache.delete(digest);
    key.then((found) => found || forget(), forget);
    return key;
  }

  app.decorateRequest("apiKey", undefined);
  app.addHook("onRequest", async (request: FastifyRequest) => {
    const url = request.routeOptions.url;
    if (request.routeOptions.config?.public || !url || url.startsWith("/docs")) return;
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match?.[1]) {
      throw new HttpError(401, "UNAUTHORIZED", "Send your API key as `Authorization: Bearer <key>`.");
    }
    const key = await lookup(match[1]);
    if (!key) throw new HttpError(401, "UNAUTHORIZED", "The API key is unknown or revoked.");
    request.apiKey = key;
  });
}

/** The key's realm; realm routes also check that it owns the realm in the path. */
export function realmOf(request: FastifyRequest, realmIdInPath?: string): string {
  const key = request.apiKey;
  if (!key) throw new HttpError(401, "UNAUTHORIZED", "Send your API key as `Authorization: Bearer <key>`.");
  if (realmIdInPath !== undefined && realmIdInPath !== key.realmId) {
    throw new TallyError("FORBIDDEN", "This API key does not belong to that realm.");
  }
  return key.realmId;
}
