import { type Database, queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { failureReporter } from "../background-task.ts";
import { buildEvents, type WebhookEvent } from "./build-event.ts";
import { postEvent } from "./post-event.ts";
import { sequenceEvents } from "./sequence-events.ts";
import { signEvent } from "./sign-event.ts";

export interface WebhookWorkerOptions {
  /** TALLY_WEBHOOK_ALLOW_PRIVATE. */
  allowPrivate: boolean;
  /** Pause between polls when there is nothing to do. */
  pollMs?: number;
  /** Deliveries claimed and sent at once per poll. */
  batchSize?: number;
  /** An answer must come within this; 2xx is success. */
  timeoutMs?: number;
  /**
   * How long a claimed delivery belongs to its worker; after it the delivery is presumed lost in a crash and taken
   * again. Longer than timeoutMs, so two workers never send one delivery at the same time.
   */
  leaseMs?: number;
  /** Failed attempts are retried until the delivery is this old, then it is marked failed. */
  retryWindowMs?: number;
  /** First retry delay; each further retry doubles it (with jitter) up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** An endpoint whose every attempt has failed for this long is disabled. */
  disableAfterMs?: number;
  maxResponseBytes?: number;
  onError?: (error: unknown) => void;
  onRecovered?: () => void;
}

const HOUR = 60 * 60 * 1000;
export const defaultWorkerOptions = {
  pollMs: 500,
  batchSize: 16,
  timeoutMs: 10_000,
  leaseMs: 30_000,
  retryWindowMs: 24 * HOUR,
  backoffMs: 5_000,
  maxBackoffMs: HOUR,
  disableAfterMs: 72 * HOUR,
  maxResponseBytes: 1024,
} satisfies Omit<WebhookWorkerOptions, "allowPrivate">;

interface Claimed {
  id: string | bigint;
  endpoint_id: string;
  event_id: string;
  type: string;
  outbox_id: string | bigint | null;
  payload: unknown;
  attempts: number;
  created_at: Date | string;
  url: string;
  secret: string;
  previous_secret: string | null;
}

/** The delay before retry number `attempts`: exponential, capped, with ±25% jitter so retries do not march in step. */
export function backoffDelay(attempts: number, baseMs: number, maxMs: number, random = Math.random): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(exponential * (0.75 + random() * 0.5));
}

/**
 * Claims due deliveries with `FOR UPDATE SKIP LOCKED` and commits the claim (a lease) before sending, so several
 * workers on one PostgreSQL never send the same delivery at once, and a delivery whose worker died is due again when
 * its lease ends.
 */
async function claim(db: Database, o: typeof defaultWorkerOptions): Promise<Claimed[]> {
  return queryRows<Claimed>(
    db,
    sql`WITH due AS (
        SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.enabled
        WHERE d.status IN ('pending', 'delivering') AND d.next_attempt_at <= now()
        ORDER BY d.next_attempt_at, d.id LIMIT ${o.batchSize}
        FOR UPDATE OF d SKIP LOCKED
      ),
      claimed AS (
        UPDATE webhook_deliveries d SET status = 'delivering', attempts = d.attempts + 1, last_attempt_at = now(),
          lease_until = now() + ${o.leaseMs} * interval '1 millisecond',
          next_attempt_at = now() + ${o.leaseMs} * interval '1 millisecond'
        FROM due WHERE d.id = due.id
        RETURNING d.id, d.endpoint_id, d.event_id, d.type, d.outbox_id, d.payload, d.attempts, d.created_at
      )
      SELECT c.*, e.url, e.secret,
        CASE WHEN e.previous_secret_expires_at > now() THEN e.previous_secret END AS previous_secret
      FROM claimed c JOIN webhook_endpoints e ON e.id = c.endpoint_id`,
  );
}

async function send(
  db: Database,
  d: Claimed,
  event: WebhookEvent | undefined,
  o: typeof defaultWorkerOptions & { allowPrivate: boolean },
): Promise<void> {
  let outcome: { status: number | null; response: string; error: string | null };
  if (!event) {
    outcome = { status: null, response: "", error: "the event's source row no longer exists" };
  } else {
    const body = JSON.stringify(event);
    const at = new Date();
    const secrets = d.previous_secret ? [d.secret, d.previous_secret] : [d.secret];
    outcome = await postEvent(
      d.url,
      {
        "webhook-id": d.event_id,
        "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
        "webhook-signature": signEvent(secrets, d.event_id, at, body),
        "user-agent": "Tally-Webhooks/1",
      },
      body,
      o,
    );
  }
  const ok = outcome.status !== null && outcome.status >= 200 && outcome.status < 300;
  const age = Date.now() - new Date(d.created_at).getTime();
  const status = ok ? "succeeded" : age >= o.retryWindowMs ? "failed" : "pending";
  const retryInMs = backoffDelay(d.attempts, o.backoffMs, o.maxBackoffMs);
  const error = ok ? null : (outcome.error ?? `answered HTTP ${outcome.status}`);
  // Fenced by the attempt number: a worker whose lease ran out must not overwrite a newer attempt's result.
  await db.execute(
    sql`UPDATE webhook_deliveries SET status = ${status}, lease_until = NULL, next_attempt_at = now() + ${retryInMs} * interval '1 millisecond',
        last_status_code = ${outcome.status}, last_error = ${error}, last_response = ${outcome.response}
      WHERE id = ${String(d.id)}::bigint AND status = 'delivering' AND attempts = ${d.attempts}`,
  );
  if (ok) {
    await db.execute(
      sql`UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ${d.endpoint_id} AND failing_since IS NOT NULL`,
    );
  } else {
    // Values on the right of SET are the row's old ones, so the three columns agree on when the run of failures began.
    await db.execute(
      sql`UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, now()),
          enabled = enabled AND coalesce(failing_since, now()) > now() - ${o.disableAfterMs} * interval '1 millisecond',
          disabled_reason = CASE
            WHEN enabled AND coalesce(failing_since, now()) <= now() - ${o.disableAfterMs} * interval '1 millisecond'
            THEN 'disabled automatically: every delivery has failed since ' ||
              to_char(failing_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
            ELSE disabled_reason END
        WHERE id = ${d.endpoint_id}`,
    );
  }
}

/** One pass: number new events, then claim and send what is due. Returns how many deliveries it sent. */
export async function deliverDue(
  db: Database,
  options: WebhookWorkerOptions,
): Promise<{ sequenced: number; sent: number }> {
  const o = { ...defaultWorkerOptions, ...options };
  const sequenced = await sequenceEvents(db);
  const claimed = await claim(db, o);
  const outboxIds = claimed.flatMap((d) => (d.outbox_id === null ? [] : [BigInt(d.outbox_id)]));
  const events = await buildEvents(db, outboxIds);
  await Promise.all(
    claimed.map((d) => {
      const event =
        d.outbox_id === null
          ? { type: d.type, timestamp: new Date(d.created_at).toISOString(), data: toRecord(d.payload) }
          : events.get(String(d.outbox_id));
      return send(db, d, event, o);
    }),
  );
  return { sequenced, sent: claimed.length };
}

const toRecord = (payload: unknown): Record<string, unknown> =>
  (typeof payload === "string" ? JSON.parse(payload) : (payload ?? {})) as Record<string, unknown>;

export interface WebhookWorker {
  /** Stops polling and waits for the pass in flight. */
  stop(): Promise<void>;
}

/**
 * The delivery loop of one process: polls, and goes straight on while there is work. It shares the database with
 * balance writes but never holds a lock a write needs: outbox rows are read after commit, deliveries are its own.
 */
export function startWebhookWorker(db: Database, options: WebhookWorkerOptions): WebhookWorker {
  const o = { ...defaultWorkerOptions, ...options };
  const report = failureReporter(o);
  let stopped = false;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!stopped) {
      let busy = false;
      try {
        const pass = await deliverDue(db, o);
        busy = pass.sent > 0 || pass.sequenced > 0;
        report.succeeded();
      } catch (error) {
        if (!stopped) report.failed(error);
      }
      if (!busy && !stopped) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, o.pollMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
