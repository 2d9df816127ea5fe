import type { Database } from "@tally/db";

const RETRYABLE = new Set(["40P01", "40001"]); // deadlock detected, serialization failure

/**
 * Runs `work` in one transaction, retried when PostgreSQL picks it as a deadlock victim: fixed lock order makes that
 * rare, and retrying is safe because a victim's transaction was rolled back whole.
 */
export async function inTransaction<T>(db: Database, work: (tx: Database) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction((tx) => work(tx as unknown as Database));
    } catch (error) {
      if (attempt >= 5 || !isRetryable(error)) throw error;
    }
  }
}

/** A deadlock victim or serialization failure: the database rolled the work back whole, so running it again is safe. */
export const isRetryable = (error: unknown): boolean => RETRYABLE.has(pgCode(error) ?? "");

/** The SQLSTATE of a driver error, wherever the driver put it. */
export function pgCode(error: unknown): string | undefined {
  for (let e: unknown = error; e && typeof e === "object"; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** The message of a driver error or of its cause. */
export function pgMessage(error: unknown): string {
  let message = "";
  for (let e: unknown = error; e && typeof e === "object"; e = (e as { cause?: unknown }).cause) {
    message += ` ${String((e as { message?: unknown }).message ?? "")}`;
  }
  return message;
}

// postgres.js and Node socket codes that mean the connection, not the statement, failed.
const CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ERR_STREAM_DESTROYED",
  "ERR_STREAM_WRITE_AFTER_END",
]);
// SQLSTATEs of a server that is going away, starting up, or out of connection slots.
const UNAVAILABLE_STATES = new Set(["57P01", "57P02", "57P03", "57P05", "53300", "25P03"]);

/**
 * The database (not the request) failed: it is down, restarting, or the connection broke. Such a request changed
 * nothing it acknowledged, and the same request may succeed once the database is back; doors answer "try again".
 * A write interrupted this way may or may not have committed, so clients retry it with its idempotency key.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && typeof e === "object" && depth < 8; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") {
      if (CONNECTION_CODES.has(code) || UNAVAILABLE_STATES.has(code) || code.startsWith("08")) return true;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
