import { type Database, queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { type FailureHandlers, startBackgroundTask } from "../background-task.ts";

/** TALLY_WEBHOOK_RETENTION_DAYS: how long finished deliveries and the events behind them stay readable. */
export const DEFAULT_WEBHOOK_RETENTION_DAYS = 30;

/**
 * Deletes deliveries that finished (succeeded or failed) before `olderThan`, then numbered outbox rows from before it
 * that no unfinished delivery still needs, `batch` rows per statement. Rows are taken oldest id first (ids grow with
 * time, so each batch reads from the front of the primary key), and rows another worker holds are skipped.
 */
export async function pruneWebhookHistory(
  db: Database,
  options: { olderThan: Date; batch?: number | undefined },
): Promise<{ deliveries: number; events: number }> {
  const batch = options.batch ?? 1000;
  const before = options.olderThan.toISOString();
  const drain = async (statement: ReturnType<typeof sql>) => {
    let total = 0;
    for (;;) {
      const n = (await queryRows(db, statement)).length;
      total += n;
      if (n < batch) return total;
    }
  };
  const deliveries = await drain(
    sql`DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries
        WHERE status IN ('succeeded', 'failed') AND created_at < ${before}::timestamptz
        ORDER BY id LIMIT ${batch} FOR UPDATE SKIP LOCKED)
      RETURNING 1`,
  );
  const events = await drain(
    sql`DELETE FROM webhook_outbox WHERE id IN (SELECT o.id FROM webhook_outbox o
        WHERE o.sequence IS NOT NULL AND o.created_at < ${before}::timestamptz
          AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d
            WHERE d.outbox_id = o.id AND d.status IN ('pending', 'delivering'))
        ORDER BY o.id LIMIT ${batch} FOR UPDATE SKIP LOCKED)
      RETURNING 1`,
  );
  return { deliveries, events };
}

/** Prunes webhook history now and then hourly in the background; returns a stop function. */
export function startWebhookPruner(
  db: Database,
  options: { retentionDays: number; everyMs?: number } & FailureHandlers,
): { stop(): Promise<void> } {
  return startBackgroundTask(
    () => pruneWebhookHistory(db, { olderThan: new Date(Date.now() - options.retentionDays * 86_400_000) }),
    { everyMs: options.everyMs ?? 3_600_000, onError: options.onError, onRecovered: options.onRecovered },
  );
}
