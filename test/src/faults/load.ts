import http from "node:http";
import { type Database, queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { BOOTSTRAP_KEY } from "../harness.ts";

/** One HTTP answer as a client saw it. */
export interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: bodies are asserted field by field
  body: any;
  headers: http.IncomingHttpHeaders;
  ms: number;
  /** When the answer arrived (performance.now()). */
  at: number;
}

/**
 * A client with its own keep-alive pool of at most `connections` sockets, as a fleet of real clients would open.
 * `base` is read per request, so a test can point it at a restarted server.
 */
export function loadClient(base: () => string, connections: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const send = (
    method: string,
    path: string,
    options: { body?: unknown; key?: string; auth?: string; timeoutMs?: number } = {},
  ): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
      const request = http.request(
        `${base()}${path}`,
        {
          method,
          agent,
          timeout: options.timeoutMs ?? 15_000,
          headers: {
            authorization: `Bearer ${options.auth ?? BOOTSTRAP_KEY}`,
            ...(payload === undefined ? {} : { "content-type": "application/json" }),
            ...(options.key ? { "idempotency-key": options.key } : {}),
          },
        },
        (response) => {
          let text = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => {
            text += chunk;
          });
          response.on("end", () => {
            let body: unknown = text;
            try {
              body = text ? JSON.parse(text) : undefined;
            } catch {}
            const at = performance.now();
            resolve({ status: response.statusCode ?? 0, body, headers: response.headers, ms: at - started, at });
          });
          response.on("error", reject);
        },
      );
      request.on("timeout", () => request.destroy(new Error(`no answer within ${options.timeoutMs ?? 15_000} ms`)));
      request.on("error", reject);
      request.end(payload);
    });
  return { send, close: () => agent.destroy() };
}

/** Everything the clients saw, for the assertions and the printed figures. */
export class Tally {
  readonly statuses = new Map<number, number>();
  readonly fiveHundreds: Answer[] = [];
  networkErrors = 0;
  note(answer: Answer): void {
    this.statuses.set(answer.status, (this.statuses.get(answer.status) ?? 0) + 1);
    if (answer.status >= 500 && answer.status !== 503) this.fiveHundreds.push(answer);
  }
  count(status: number): number {
    return this.statuses.get(status) ?? 0;
  }
  summary(): string {
    const parts = [...this.statuses.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`);
    return `${parts.join(" ")}${this.networkErrors ? ` network-errors×${this.networkErrors}` : ""}`;
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends one request until the server settles it (2xx or 4xx), as a careful client does: the same idempotency key on
 * every attempt, retrying after a network error (the server died) or a 503 (its database is away). Anything else
 * 5xx is a failure that the tally records; it is retried too, so the run finishes and the count can be asserted.
 */
export async function untilSettled(
  attempt: () => Promise<Answer>,
  tally: Tally,
  options: { giveUpAfterMs?: number; onAnswer?: (answer: Answer) => void } = {},
): Promise<Answer> {
  const deadline = performance.now() + (options.giveUpAfterMs ?? 60_000);
  for (;;) {
    let answer: Answer | undefined;
    try {
      answer = await attempt();
      tally.note(answer);
      options.onAnswer?.(answer);
    } catch {
      tally.networkErrors++;
    }
    if (answer && answer.status < 500) return answer;
    if (performance.now() > deadline) throw new Error(`request not settled in time (${tally.summary()})`);
    await pause(answer?.status === 503 ? 50 : 100);
  }
}

/** Runs `work(i)` for i = 0, 1, … on `concurrency` workers, up to `count` or until `stop()` says so. */
export async function runPool(
  count: number,
  concurrency: number,
  work: (i: number) => Promise<void>,
  stop: () => boolean = () => false,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count && !stop()) await work(next++);
    }),
  );
}

/**
 * The ledger's own evidence: balances, entries, their sums, and every check that makes it whole (each balance is the
 * sum of its entries; each entry's balance_after continues the previous one in commit order; nothing below zero).
 */
export async function ledgerFacts(t: { db: Database }) {
  const [row] = await queryRows<{
    balances: string;
    entries: string;
    entry_sum: string;
    min_after: string | null;
    unbalanced: string;
    broken_chain: string;
  }>(
    t.db,
    sql`SELECT
      (SELECT coalesce(sum(balance), 0)::text FROM balances) AS balances,
      (SELECT count(*)::text FROM ledger_entries) AS entries,
      (SELECT coalesce(sum(delta), 0)::text FROM ledger_entries) AS entry_sum,
      (SELECT min(balance_after)::text FROM ledger_entries) AS min_after,
      (SELECT count(*)::text FROM balances b WHERE b.balance <> (SELECT coalesce(sum(delta), 0) FROM ledger_entries e
        WHERE e.account_id = b.account_id AND e.currency_id = b.currency_id)) AS unbalanced,
      (SELECT count(*)::text FROM (SELECT balance_after - delta AS before,
          lag(balance_after) OVER (PARTITION BY account_id, currency_id ORDER BY id) AS previous
        FROM ledger_entries) chain WHERE before <> coalesce(previous, 0)) AS broken_chain`,
  );
  if (!row) throw new Error("no ledger facts");
  return {
    balances: BigInt(row.balances),
    entries: Number(row.entries),
    entrySum: BigInt(row.entry_sum),
    minBalanceAfter: row.min_after === null ? null : BigInt(row.min_after),
    unbalanced: Number(row.unbalanced),
    brokenChain: Number(row.broken_chain),
  };
}

/** Ledger entries per idempotency key (`api:<key>` as the API stores them). */
export async function entriesByKey(t: { db: Database }): Promise<Map<string, number>> {
  const rows = await queryRows<{ key: string; n: string }>(
    t.db,
    sql`SELECT idempotency_key AS key, count(*)::text AS n FROM ledger_entries
      WHERE idempotency_key IS NOT NULL GROUP BY idempotency_key`,
  );
  return new Map(rows.map((r) => [r.key, Number(r.n)]));
}

/** Idempotency keys the ledger stored (transfers and batches record their key here, not on each entry). */
export async function storedKeys(t: { db: Database }): Promise<Set<string>> {
  const rows = await queryRows<{ key: string }>(t.db, sql`SELECT key FROM idempotency_keys`);
  return new Set(rows.map((r) => r.key));
}

/** Ledger entries of one kind (e.g. `transfer`: two per transfer). */
export async function entriesOfKind(t: { db: Database }, kind: string): Promise<number> {
  const [row] = await queryRows<{ n: string }>(
    t.db,
    sql`SELECT count(*)::text AS n FROM ledger_entries WHERE kind = ${kind}`,
  );
  return Number(row?.n ?? 0);
}
