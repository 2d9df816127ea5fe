import { type Database, queryRows, rateLimitWindows } from "@tally/db";
import { lt, sql } from "drizzle-orm";

/**
 * Takes up to `want` requests from a key's budget of `max` for the window starting at `windowStart`, shared by every
 * process on the database; returns how many it got (0 once the budget is spent). One atomic increment: the row's
 * count before this lease is `leased - want`, whatever other processes did at the same moment.
 */
export async function leaseRateLimit(
  db: Database,
  input: { key: string; windowStart: number; want: number; max: number },
): Promise<{ granted: number; leased: number }> {
  const [row] = await queryRows<{ leased: number }>(
    db,
    sql`INSERT INTO rate_limit_windows (key, window_start, leased) VALUES (${input.key}, ${input.windowStart}, ${input.want})
      ON CONFLICT (key, window_start) DO UPDATE SET leased = rate_limit_windows.leased + EXCLUDED.leased
      RETURNING leased`,
  );
  const leased = Number(row?.leased ?? 0);
  const granted = Math.max(0, Math.min(input.want, input.max - (leased - input.want)));
  return { granted, leased };
}

/** Forgets windows that ended before `before` (milliseconds since the epoch). */
export async function pruneRateLimitWindows(db: Database, before: number): Promise<void> {
  await db.delete(rateLimitWindows).where(lt(rateLimitWindows.windowStart, before));
}
