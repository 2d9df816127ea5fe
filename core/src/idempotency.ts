import { type Database, queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { TallyError } from "./errors.ts";
import { sha256 } from "./ids.ts";

/** Fingerprint of a request: the operation and its normalised input, so a reused key with another request is caught. */
export function requestHash(operation: string, input: unknown): string {
  return sha256(JSON.stringify([operation, input], (_, v) => (typeof v === "bigint" ? v.toString() : v)));
}

interface StoredKey {
  request_hash: string;
  result: unknown;
}

export async function readKey(db: Database, realmId: string, key: string): Promise<StoredKey | undefined> {
  const [row] = await queryRows<StoredKey>(
    db,
    sql`SELECT request_hash, result FROM idempotency_keys WHERE realm_id = ${realmId} AND key = ${key}`,
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
 * Claims a key inside a transaction. Returns the stored result when the key was used before (after waiting for a
 * concurrent holder to commit), or undefined when this transaction now owns it and must call `storeResult`.
 */
export async function claimKey<T>(tx: Database, realmId: string, key: string, hash: string): Promise<T | undefined> {
  const claimed = await queryRows(
    tx,
    sql`INSERT INTO idempotency_keys (realm_id, key, request_hash, result) VALUES (${realmId}, ${key}, ${hash}, 'null')
      ON CONFLICT DO NOTHING RETURNING 1`,
  );
  if (claimed.length > 0) return undefined;
  const stored = await readKey(tx, realmId, key);
  if (!stored) throw new Error("idempotency key vanished while claimed");
  return replay<T>(stored, hash);
}

export async function storeResult(tx: Database, realmId: string, key: string, result: unknown): Promise<void> {
  await tx.execute(
    sql`UPDATE idempotency_keys SET result = ${JSON.stringify(result)}::jsonb WHERE realm_id = ${realmId} AND key = ${key}`,
  );
}
