import { type Database, queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { type FailureHandlers, startBackgroundTask } from "./background-task.ts";
import { TallyError } from "./errors.ts";
import { sha256 } from "./ids.ts";

/**
 * How long a key is remembered. Keys are scoped per realm (shared by every API key and bot of the realm); within the
 * window a reused key replays its first result, after it the key counts as never used. At least 24 hours, as the IETF
 * draft and Stripe keep them.
 */
export const DEFAULT_IDEMPOTENCY_TTL_HOURS = 72;
export const MIN_IDEMPOTENCY_TTL_HOURS = 24;

let ttlHours = DEFAULT_IDEMPOTENCY_TTL_HOURS;

/** Sets the process-wide retention (TALLY_IDEMPOTENCY_TTL_HOURS); every write of this process then honours it. */
export function setIdempotencyTtlHours(hours: number): void {
  if (!Number.isInteger(hours) || hours < MIN_IDEMPOTENCY_TTL_HOURS) {
    throw new TallyError("VALIDATION", `Idempotency keys are kept a whole number of hours, at least 24.`);
  }
  ttlHours = hours;
}

export const idempotencyTtlHours = (): number => ttlHours;

/** The SQLSTATE `tally_abort` raises (migration 0002): a single-statement write found its key taken meanwhile. */
export const REPLAY_SQLSTATE = "TY001";

const live = () => sql`created_at > now() - make_interval(hours => ${ttlHours}::int)`;
const expired = () => sql`idempotency_keys.created_at <= now() - make_interval(hours => ${ttlHours}::int)`;

/** Fingerprint of a request: the operation and its normalised input, so a reused key with another request is caught. */
export function requestHash(operation: string, input: unknown): string {
  return sha256(JSON.stringify([operation, input], (_, v) => (typeof v === "bigint" ? v.toString() : v)));
}

interface StoredKey {
  request_hash: string;
  result: unknown;
}

/** The stored request of a live key; an expired key, pruned or not, reads as absent. */
export async function readKey(db: Database, realmId: string, key: string): Promise<StoredKey | undefined> {
  const [row] = await queryRows<StoredKey>(
    db,
    sql`SELECT request_hash, result FROM idempotency_keys WHERE realm_id = ${realmId} AND key = ${key} AND ${live()}`,
  );
  return row;
}

/** The stored result of the first request with this key, or IDEMPOTENCY_CONFLICT when this request differs. */
export function replay<T>(stored: StoredKey, requestHash: string): T {
  if (stored.request_hash !== requestHash) {
    throw new TallyError(
      "IDEMPOTENCY_CONFLICT",
      "This idempotency key was already used for a different request; use a new key for a new request.",
    );
  }
  return (typeof stored.result === "string" ? JSON.parse(stored.result) : stored.result) as T;
}

/**
 * Claims a key inside a transaction. Returns the stored result when the key is live (after waiting for a concurrent
 * holder to commit), or undefined when this transaction now owns it and must call `storeResult`. An expired key is
 * taken over as if new; a refused request rolls its transaction back and so leaves the key free.
 */
export async function claimKey<T>(tx: Database, realmId: string, key: string, hash: string): Promise<T | undefined> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const claimed = await queryRows(
      tx,
      sql`INSERT INTO idempotency_keys (realm_id, key, request_hash, result) VALUES (${realmId}, ${key}, ${hash}, 'null')
        ON CONFLICT (realm_id, key) DO UPDATE SET request_hash = excluded.request_hash, result = 'null', created_at = now()
          WHERE ${expired()}
        RETURNING 1`,
    );
    if (claimed.length > 0) return undefined;
    const stored = await readKey(tx, realmId, key);
    // Absent only if it expired between the two statements: claim again.
    if (stored) return replay<T>(stored, hash);
  }
  throw new Error("idempotency key neither claimed nor readable");
}

export async function storeResult(tx: Database, realmId: string, key: string, result: unknown): Promise<void> {
  await tx.execute(
    sql`UPDATE idempotency_keys SET result = ${JSON.stringify(result)}::jsonb WHERE realm_id = ${realmId} AND key = ${key}`,
  );
}

/**
 * Deletes keys created before `olderThan`, `batch` rows per statement until none is left; returns how many. Each batch
 * is its own short transaction and skips rows a write holds right now, so pruning never blocks a write.
 */
export async function pruneIdempotencyKeys(
  db: Database,
  options: { olderThan: Date; batch?: number | undefined },
): Promise<number> {
  const batch = options.batch ?? 1000;
  const before = options.olderThan.toISOString();
  let total = 0;
  for (;;) {
    const rows = await queryRows(
      db,
      sql`DELETE FROM idempotency_keys WHERE (realm_id, key) IN (SELECT realm_id, key FROM idempotency_keys
          WHERE created_at < ${before}::timestamptz ORDER BY created_at LIMIT ${batch} FOR UPDATE SKIP LOCKED)
        RETURNING 1`,
    );
    total += rows.length;
    if (rows.length < batch) return total;
  }
}

/** Prunes expired keys now and then every `everyMs` (ten minutes) in the background; returns a stop function. */
export function startIdempotencyPruner(
  db: Database,
  options: { everyMs?: number; batch?: number } & FailureHandlers = {},
): { stop(): Promise<void> } {
  return startBackgroundTask(
    () => pruneIdempotencyKeys(db, { olderThan: new Date(Date.now() - ttlHours * 3_600_000), batch: options.batch }),
    { everyMs: options.everyMs ?? 10 * 60_000, onError: options.onError, onRecovered: options.onRecovered },
  );
}
