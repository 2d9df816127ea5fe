import { hash } from "node:crypto";
import { type BalanceService, TallyError } from "@tally/core";
import type { ApiKey } from "@tally/db";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { HttpError, unauthorized } from "./errors.ts";

declare module "fastify" {
  interface FastifyRequest {
    apiKey?: ApiKey;
  }
  interface FastifyContextConfig {
    /** Routes open without a key: health, metrics, docs, bot transports (which verify their own signatures). */
    public?: boolean;
  }
}

/**
 * How long a process trusts a key lookup; a new key may wait this long. A revoked key stops working at once where
 * revocations are heard (PostgreSQL's LISTEN/NOTIFY), within this otherwise.
 */
const KEY_TTL_MS = 10_000;
const MAX_CACHED_KEYS = 10_000;

export interface AuthLimits {
  /** 401s allowed per client address per window; past it the address gets 429 without any key lookup. */
  failuresPerAddress: number;
  windowMs: number;
}

const NO_KEY = "Send your API key as `Authorization: Bearer <key>`.";
const UNKNOWN_KEY = "The API key is unknown or revoked.";

/**
 * Bearer API keys. Lookups by SHA-256 are cached briefly, known and unknown keys alike (bounded), as the lookup's
 * promise, so neither a busy client, a burst with a new key, nor a flood of bad keys costs a database round trip per
 * request; and each client address may fail authentication only so often before it is told to wait.
 */
export function registerAuth(
  app: FastifyInstance,
  core: BalanceService,
  limits: AuthLimits = { failuresPerAddress: 120, windowMs: 60_000 },
  revocations?: (onRevoked: (keyHash: string) => void, onMissed: () => void) => void,
): void {
  const lookups = new BoundedCache<Promise<ApiKey | undefined>>();
  // Another process (or the CLI) revoked a key: forget its lookup now rather than when the entry ages out.
  revocations?.(
    (keyHash) => lookups.delete(keyHash),
    () => lookups.clear(),
  );
  const failures = new BoundedCache<number>();

  function refuse(request: FastifyRequest, message: string): HttpError {
    const count = (failures.get(request.ip, limits.windowMs) ?? 0) + 1;
    failures.set(request.ip, count, count === 1 ? Date.now() : undefined);
    return unauthorized(message);
  }

  function throttled(request: FastifyRequest): HttpError | undefined {
    if ((failures.get(request.ip, limits.windowMs) ?? 0) < limits.failuresPerAddress) return undefined;
    const retryAfter = Math.max(1, Math.ceil(failures.remainingMs(request.ip, limits.windowMs) / 1000));
    return new HttpError(
      429,
      "RATE_LIMITED",
      `Too many requests without a valid API key from this address; retry in ${retryAfter} s.`,
      { headers: { "retry-after": String(retryAfter) } },
    );
  }

  app.decorateRequest("apiKey", undefined);
  app.addHook("onRequest", async (request: FastifyRequest) => {
    const url = request.routeOptions.url;
    if (request.routeOptions.config?.public || !url || url.startsWith("/docs")) return;
    const header = request.headers.authorization;
    const plain = header ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
    if (!plain) throw throttled(request) ?? refuse(request, NO_KEY);
    const digest = hash("sha256", plain, "hex");
    let lookup = lookups.get(digest, KEY_TTL_MS);
    if (!lookup) {
      const limited = throttled(request);
      if (limited) throw limited;
      lookup = core.authenticateApiKey(plain);
      lookups.set(digest, lookup);
      const current = lookup;
      // A failed lookup leaves (unless a newer lookup replaced it meanwhile); an unknown key stays, as a miss.
      lookup.catch(() => lookups.get(digest, KEY_TTL_MS) === current && lookups.delete(digest));
    }
    const key = await lookup;
    if (!key) throw throttled(request) ?? refuse(request, UNKNOWN_KEY);
    request.apiKey = key;
  });
}

/** A map with an age per entry that never holds more than `max` entries (the oldest go first). */
class BoundedCache<T> {
  private readonly entries = new Map<string, { value: T; at: number }>();
  constructor(private readonly max = MAX_CACHED_KEYS) {}

  get(key: string, ttlMs: number): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (Date.now() - entry.at < ttlMs) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  remainingMs(key: string, ttlMs: number): number {
    const entry = this.entries.get(key);
    return entry ? ttlMs - (Date.now() - entry.at) : 0;
  }

  /** Stores a value; `at` keeps the entry's age when omitted for an existing entry (a window keeps its start). */
  set(key: string, value: T, at?: number): void {
    const existing = this.entries.get(key);
    this.entries.delete(key);
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, at: at ?? existing?.at ?? Date.now() });
  }
}

/** The key's realm; realm routes also check that it owns the realm in the path. */
export function realmOf(request: FastifyRequest, realmIdInPath?: string): string {
  const key = request.apiKey;
  if (!key) throw unauthorized(NO_KEY);
  if (realmIdInPath !== undefined && realmIdInPath !== key.realmId) {
    throw new TallyError("FORBIDDEN", "This API key does not belong to that realm.");
  }
  return key.realmId;
}
