import { type Database, isConcurrent } from "@tally/db";
import type { Subject, WriteContext } from "../../context.ts";
import { isDatabaseUnavailable, pgCode } from "../../transaction.ts";
import { type AdjustInput, adjustBalance, adjustRequestHash, refusal } from "../adjust-balance.ts";
import type { BalanceChange } from "../balance-change.ts";
import { applyAdjustBatch, type BatchAdjust } from "./batch-statement.ts";

export interface GroupWriterOptions {
  /**
   * Independent writers; a subject always goes to the same one. Fewer shards make bigger batches, and only big ones
   * are cheap: a batch of 3 costs PostgreSQL as much as 3 single statements (0.65 against 0.22 ms each), a batch of
   * 64 about 2.2 ms. Spread over 10k credentials, 32 connections, A/B: 8 shards 2.1-2.8k req/s, 4 shards 3.2-3.5k,
   * 2 shards 3.6-4.5k, 1 shard 4.6-6.2k. Two, not one, so a batch stalled on a lock held elsewhere holds up half the
   * traffic, not all of it.
   */
  shards?: number;
  /**
   * The most adjusts one batch statement carries; a longer queue goes in turns. It bounds a burst, not everyday
   * traffic: a cap below the queue makes the requests past it wait a whole further round trip, and Node pays each
   * statement's fixed share again. Hot credential, 128 connections, durable, 2-core AMD EPYC (Node the limit), 13
   * alternating rounds: 64 gave a median 9.4k req/s and p99 35 ms, 128 gave 9.8k and 24.5 ms; 256 cannot differ from
   * 128 there. On the Intel Xeon of earlier runs, where PostgreSQL was the limit, 64 had beaten 256 (9.2-11.6k against
   * 8.4-9.8k req/s over 8 rounds): there, halves let PostgreSQL run one while Node answered the other.
   */
  maxBatch?: number;
}

/** Counters, for tests and the benchmark: how requests were written. */
export interface GroupWriterStats {
  /** Requests written alone with the single delta statement (a batch of one, or what a batch could not settle). */
  alone: number;
  /** Batch statements that committed, and the requests they carried. */
  batches: number;
  batched: number;
  /** Batch statements that failed; their requests were then written one by one. */
  poisoned: number;
}

interface Waiting extends BatchAdjust {
  resolve(change: BalanceChange): void;
  reject(error: unknown): void;
}

interface Shard {
  busy: boolean;
  queue: Waiting[];
}

/**
 * Group commit for adjusts. Each shard of subjects has at most one write in flight. A request that finds its shard
 * idle is written on the event loop's next turn (setImmediate), together with every request Node reads in the same
 * turn: after a batch is answered its clients' next requests arrive together, and writing the first of them alone
 * would leave the rest waiting a whole round trip. Requests that arrive while a write is in flight queue up and go
 * together, in arrival order, as one batch statement when it finishes; a batch of one is the single delta statement,
 * so a lone request is still one statement. One commit (one WAL flush) then carries many requests, which is what lifts
 * a hot account past the one-transaction-per-row-lock ceiling, and spread traffic past the per-statement cost.
 *
 * One in flight, not two: a second batch pipelined behind the first on the shard's own connection (which keeps
 * arrival order) was built and measured on a hot credential, durable settings: +5% req/s at 32 connections, nothing
 * at 128. Node is the limit there, not PostgreSQL (with one batch in flight the backend runs 1.7 ms of each 4.5 ms
 * cycle), and halved batches cost PostgreSQL more per request.
 *
 * Whatever a batch cannot settle exactly — an unknown subject (a ghost to create), a key already used, a second use of
 * one key inside the batch — and every request of a batch statement that failed, is written alone afterwards, in
 * arrival order, with the single-request path; so batching never fails a request that would have succeeded alone.
 * PGlite runs one statement at a time anyway: there every request is written alone.
 */
export function createGroupWriter(db: Database, options: GroupWriterOptions = {}) {
  const batching = isConcurrent(db);
  const maxBatch = options.maxBatch ?? 256;
  const shards: Shard[] = Array.from({ length: options.shards ?? 2 }, () => ({ busy: false, queue: [] }));
  const stats: GroupWriterStats = { alone: 0, batches: 0, batched: 0, poisoned: 0 };

  function adjust(ctx: WriteContext, input: AdjustInput): Promise<BalanceChange> {
    if (!batching) return adjustBalance(db, ctx, input);
    const shard = shards[shardOf(ctx.realmId, input.subject) % shards.length] as Shard;
    if (!shard.busy) {
      shard.busy = true;
      setImmediate(drain, shard);
    }
    return new Promise((resolve, reject) => shard.queue.push({ ctx, input, hash: "", resolve, reject }));
  }

  function drain(shard: Shard): void {
    if (shard.queue.length === 0) {
      shard.busy = false;
      return;
    }
    const batch = shard.queue.length <= maxBatch ? shard.queue : shard.queue.slice(0, maxBatch);
    shard.queue = shard.queue.length <= maxBatch ? [] : shard.queue.slice(maxBatch);
    void write(shard, batch);
  }

  async function alone(waiting: Waiting): Promise<void> {
    stats.alone++;
    await adjustBalance(db, waiting.ctx, waiting.input).then(waiting.resolve, waiting.reject);
  }

  /**
   * Writes one batch, then drains the shard. When the batch statement settled every request it carried, the next batch
   * is sent before this one's requests are answered: answering them (resolving their promises, whose replies are then
   * serialised and written to sockets) is Node's work, and PostgreSQL need not wait through it for its next statement.
   */
  async function write(shard: Shard, batch: Waiting[]): Promise<void> {
    const { answers, later } = await writeBatch(batch);
    if (later.length === 0) drain(shard);
    for (const answer of answers) answer();
    if (later.length === 0) return;
    for (const waiting of later) await alone(waiting);
    drain(shard);
  }

  /**
   * Runs the batch statement; what it settled comes back as answers not yet given, and what it could not, in arrival
   * order, as the requests to write alone. It never rejects: each failure is an answer to its request.
   */
  async function writeBatch(batch: Waiting[]): Promise<{ answers: (() => void)[]; later: Waiting[] }> {
    // A key already in this batch waits for the batch and then runs alone: a replay, or a conflict, as it should be.
    const keys = new Set<string>();
    const together: Waiting[] = [];
    const single = new Set<Waiting>();
    for (const waiting of batch) {
      const key = waiting.ctx.idempotencyKey;
      if (key !== undefined) {
        const scoped = `${waiting.ctx.realmId}\u0000${key}`;
        if (keys.has(scoped)) {
          single.add(waiting);
          continue;
        }
        keys.add(scoped);
      }
      together.push(waiting);
    }
    const answers: (() => void)[] = [];
    if (together.length === 1) {
      single.add(together[0] as Waiting);
    } else {
      // Only the batch statement needs the hash here; a request written alone has the single path compute its own.
      for (const waiting of together) {
        if (waiting.ctx.idempotencyKey !== undefined) waiting.hash = adjustRequestHash(waiting.input);
      }
      try {
        const rows = await applyAdjustBatch(db, together);
        stats.batches++;
        stats.batched += together.length;
        for (const row of rows) {
          const waiting = together[Number(row.ord) - 1] as Waiting;
          const { input } = waiting;
          if (row.entry_id !== null && row.account_id !== null && row.balance_after !== null) {
            const change: BalanceChange = {
              entryId: String(row.entry_id),
              accountId: row.account_id,
              credentialId: row.credential_id,
              currencyId: input.currency.id,
              balance: BigInt(row.balance_after),
              linked: row.account_kind === "member",
              replayed: false,
            };
            answers.push(() => waiting.resolve(change));
            continue;
          }
          const refused = row.ok === false ? refusal(BigInt(row.before ?? 0), input.delta, input.currency) : undefined;
          if (refused) answers.push(() => waiting.reject(refused));
          else single.add(waiting); // unknown subject or key already used: the single path knows how to answer
        }
      } catch (error) {
        // The connection or the server failed, perhaps after the commit: retrying could apply twice.
        if (pgCode(error) === undefined || isDatabaseUnavailable(error)) {
          return { answers: batch.map((waiting) => () => waiting.reject(error)), later: [] };
        }
        // PostgreSQL refused the statement, so nothing of it was written: every request gets its own chance.
        stats.poisoned++;
        for (const waiting of together) single.add(waiting);
      }
    }
    return { answers, later: batch.filter((waiting) => single.has(waiting)) };
  }

  return { adjust, stats };
}

export type GroupWriter = ReturnType<typeof createGroupWriter>;

/** FNV-1a over the subject's identity: the same subject always lands on the same shard. */
function shardOf(realmId: string, subject: Subject): number {
  const id =
    subject.kind === "credential"
      ? `${subject.identifier.type}\u0000${subject.identifier.source}\u0000${subject.identifier.value}`
      : subject.kind === "user"
        ? subject.userId
        : subject.accountId;
  let h = 0x811c9dc5;
  for (const text of [realmId, subject.kind, id]) {
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  }
  return h >>> 0;
}
