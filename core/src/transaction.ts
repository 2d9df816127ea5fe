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
