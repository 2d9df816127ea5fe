import { type Currency, openDatabase, queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Subject, WriteContext } from "../../context.ts";
import { normalizeIdentifier } from "../../identities.ts";
import { expectAuditClean, useTestCore } from "../../testing.ts";
import type { BalanceChange } from "../balance-change.ts";
import { createGroupWriter } from "./group-writer.ts";

// Batches only form when requests overlap on real connections: PostgreSQL only.
const ctx: WriteContext = { realmId: "default", initiator: { type: "cli", id: "group" }, via: "cli" };
const discord = (n: number): Subject => ({
  kind: "credential",
  identifier: normalizeIdentifier("discord-id", `3000000000000000${String(n).padStart(2, "0")}`),
});
const [A, B, C] = [discord(1), discord(2), discord(3)] as [Subject, Subject, Subject];

const world = useTestCore({ apiKey: "tly_group_commit_key", maxConnections: 30 });
let currency: Currency;
beforeEach(async () => {
  currency = await world.core.currency("default");
});
// Entries written by batches must satisfy the same audit as any other.
afterEach(() => expectAuditClean(world.core));

const input = (subject: Subject, delta: number) => ({ subject, currency, delta: BigInt(delta) });
const settle = <T>(promises: Promise<T>[]) => Promise.allSettled(promises);
const value = <T>(r: PromiseSettledResult<T>): T => {
  if (r.status === "rejected") throw r.reason;
  return r.value;
};
const codeOf = (r: PromiseSettledResult<unknown>) =>
  r.status === "rejected" ? (r.reason as { code?: string }).code : "ok";

interface EntryRow {
  id: string;
  account_id: string;
  delta: string;
  balance_after: string;
}
const entries = () =>
  queryRows<EntryRow>(
    world.t.db,
    sql`SELECT e.id::text, e.account_id, e.delta::text, e.balance_after::text FROM ledger_entries e ORDER BY e.id`,
  );

/** Every balance equals its ledger sum, and each account's entries chain: balance_after = previous + delta. */
async function assertLedgerConsistent(): Promise<void> {
  const byAccount = new Map<string, EntryRow[]>();
  for (const e of await entries()) byAccount.set(e.account_id, [...(byAccount.get(e.account_id) ?? []), e]);
  for (const [account, list] of byAccount) {
    let running = 0n;
    for (const e of list) {
      running += BigInt(e.delta);
      expect(BigInt(e.balance_after), `entry ${e.id} of ${account}`).toBe(running);
    }
  }
  const rows = await queryRows<{ account_id: string; balance: string; ledger: string | null }>(
    world.t.db,
    sql`SELECT b.account_id, b.balance::text, (SELECT sum(delta)::text FROM ledger_entries e
      WHERE e.account_id = b.account_id AND e.currency_id = b.currency_id) AS ledger FROM balances b`,
  );
  for (const row of rows) expect(row.ledger ?? "0", `account ${row.account_id}`).toBe(row.balance);
}

describe("group commit on PostgreSQL", () => {
  it("batches never lose, double or reorder an entry; each balance_after follows arrival order", async () => {
    for (const s of [A, B, C]) await world.core.adjust(ctx, { subject: s, amount: 1 });
    const writer = createGroupWriter(world.t.db, { shards: 2, maxBatch: 64 });
    const subjects = [A, B, C];
    // Distinct deltas, so an entry's position in its account's ledger shows which request it was.
    const calls = Array.from({ length: 600 }, (_, i) => ({ subject: subjects[i % 3] as Subject, delta: i + 1 }));
    const results = (await settle(calls.map((c) => writer.adjust(ctx, input(c.subject, c.delta))))).map(value);
    // A batch carries at most maxBatch: 600 requests take at least 10 batch statements.
    expect(writer.stats.batches).toBeGreaterThanOrEqual(10);
    expect(writer.stats.batched).toBeGreaterThan(300);
    expect(writer.stats.poisoned).toBe(0);

    for (const [n, subject] of subjects.entries()) {
      const mine = calls
        .map((c, i) => [c, results[i] as BalanceChange] as const)
        .filter(([c]) => c.subject === subject);
      let running = 1n;
      let lastEntry = 0n;
      for (const [call, change] of mine) {
        running += BigInt(call.delta);
        expect(change.balance, `subject ${n} delta ${call.delta}`).toBe(running);
        expect(BigInt(change.entryId)).toBeGreaterThan(lastEntry);
        lastEntry = BigInt(change.entryId);
      }
      const ledger = (await entries()).filter((e) => e.account_id === mine[0]?.[1].accountId);
      expect(ledger.map((e) => Number(e.delta))).toEqual([1, ...mine.map(([c]) => c.delta)]);
    }
    expect(new Set(results.map((r) => r.entryId)).size).toBe(600);
    await assertLedgerConsistent();
  });

  it("requests for different accounts go together: 40 at once take one batch per shard (2 by default)", async () => {
    const subjects = Array.from({ length: 40 }, (_, i) => discord(40 + i));
    for (const s of subjects) await world.core.adjust(ctx, { subject: s, amount: 1 });
    const writer = createGroupWriter(world.t.db);
    const results = (await settle(subjects.map((s) => writer.adjust(ctx, input(s, 2))))).map(value);
    expect(results.map((r) => r.balance)).toEqual(subjects.map(() => 3n));
    expect(writer.stats).toMatchObject({ alone: 0, batched: 40, poisoned: 0 });
    expect(writer.stats.batches).toBeLessThanOrEqual(2);
    await assertLedgerConsistent();
  });

  it("two writers (two API processes) batching one hot account at once: no batch is refused, nothing is lost", async () => {
    await world.core.adjust(ctx, { subject: A, amount: 1 });
    // Each writer has its own pool connection in flight: their batch statements meet on A's row locks, and the one
    // that waits must then apply on top of the other's committed balance, not give up and go request by request.
    const writers = [createGroupWriter(world.t.db, { shards: 1 }), createGroupWriter(world.t.db, { shards: 1 })];
    const balances: bigint[] = [];
    for (let round = 0; round < 10; round++) {
      const calls = writers.flatMap((writer) => Array.from({ length: 40 }, () => writer.adjust(ctx, input(A, 1))));
      for (const result of await settle(calls)) balances.push(value(result).balance);
    }
    expect(writers.map((w) => w.stats.poisoned)).toEqual([0, 0]);
    expect(writers.reduce((n, w) => n + w.stats.batches, 0)).toBeGreaterThanOrEqual(20);
    // Every credit saw its own balance: 2, 3, … 801, none twice, none missing.
    expect(balances.sort((a, b) => (a < b ? -1 : 1))).toEqual(Array.from({ length: 800 }, (_, i) => BigInt(i + 2)));
    expect((await world.core.balanceOf("default", A)).balance).toBe(801n);
    await assertLedgerConsistent();
  });

  it("a refused debit inside a batch fails alone, checked against the running balance; the rest commits", async () => {
    await world.core.adjust(ctx, { subject: A, amount: 5 });
    const writer = createGroupWriter(world.t.db, { shards: 1 });
    // All five arrive in one turn of the event loop and go as one batch.
    const results = await settle([1, -3, -10, 1, -3].map((d) => writer.adjust(ctx, input(A, d))));
    expect(writer.stats).toMatchObject({ alone: 0, batches: 1, batched: 5, poisoned: 0 });
    expect(results.map(codeOf)).toEqual(["ok", "ok", "INSUFFICIENT_BALANCE", "ok", "ok"]);
    expect(results.filter((r) => r.status === "fulfilled").map((r) => value(r).balance)).toEqual([6n, 3n, 4n, 1n]);
    expect((results[2] as PromiseRejectedResult).reason.details).toEqual({ balance: 3n, delta: -10n });
    expect((await world.core.balanceOf("default", A)).balance).toBe(1n);
    expect(await entries()).toHaveLength(5);
    await assertLedgerConsistent();
  });

  it("the same key twice in one batch applies once: the second replays, a different request conflicts", async () => {
    await world.core.adjust(ctx, { subject: A, amount: 1 });
    const writer = createGroupWriter(world.t.db, { shards: 1 });
    const keyed = { ...ctx, idempotencyKey: "dup" };
    const results = await settle([
      writer.adjust(ctx, input(A, 1)),
      writer.adjust(keyed, input(A, 5)),
      writer.adjust(keyed, input(A, 5)),
      writer.adjust(keyed, input(A, 7)),
      writer.adjust(ctx, input(A, 2)),
    ]);
    // The repeated key waits for the batch and then runs alone: a replay, then a conflict.
    expect(writer.stats).toMatchObject({ alone: 2, batches: 1, batched: 3, poisoned: 0 });
    expect(results.map(codeOf)).toEqual(["ok", "ok", "ok", "IDEMPOTENCY_CONFLICT", "ok"]);
    const [, first, second, , last] = results.map((r) => (r.status === "fulfilled" ? r.value : undefined));
    expect(first).toMatchObject({ balance: 7n, replayed: false });
    expect(second).toMatchObject({ entryId: first?.entryId, balance: 7n, replayed: true });
    expect(last?.balance).toBe(9n);
    expect(await entries()).toHaveLength(4);
    // The stored result is the usual one: the service replays it later like any other.
    const again = await world.core.adjust(keyed, { subject: A, amount: 5 });
    expect(again).toMatchObject({ entryId: first?.entryId, replayed: true });
  });

  it("values with array-literal syntax survive a batch exactly (quotes, braces, commas, backslashes, NULL)", async () => {
    const nasty = 'a,"b"}\\{ NULL';
    const custom = (v: string): Subject => ({
      kind: "credential",
      identifier: normalizeIdentifier("custom", v, "src"),
    });
    await world.core.adjust(ctx, { subject: custom(nasty), amount: 1 });
    await world.core.adjust(ctx, { subject: custom("NULL"), amount: 1 });
    const writer = createGroupWriter(world.t.db, { shards: 1 });
    const results = await settle([
      writer.adjust(ctx, input(A, 1)),
      writer.adjust({ ...ctx, idempotencyKey: nasty }, { ...input(custom(nasty), 2), description: nasty }),
      writer.adjust(ctx, { ...input(custom("NULL"), 3), description: "NULL" }),
      writer.adjust(ctx, { ...input(custom(nasty), 4), description: null }),
    ]);
    // A is new here: the batch leaves its ghost to the single path.
    expect(writer.stats).toMatchObject({ alone: 1, batches: 1, batched: 4, poisoned: 0 });
    expect(results.map((r) => value(r).balance)).toEqual([1n, 3n, 4n, 7n]);
    const rows = await queryRows<{ value: string; description: string | null; key: string | null }>(
      world.t.db,
      sql`SELECT c.value, e.description, e.idempotency_key AS key FROM ledger_entries e
        JOIN credentials c ON c.id = e.credential_id WHERE c.type = 'custom' AND e.delta > 1 ORDER BY e.id`,
    );
    expect(rows).toEqual([
      { value: nasty, description: nasty, key: nasty },
      { value: "NULL", description: "NULL", key: null },
      { value: nasty, description: null, key: null },
    ]);
  });

  it("a batch whose statement fails is retried request by request: only the request that fails alone fails", async () => {
    for (const s of [A, B, C]) await world.core.adjust(ctx, { subject: s, amount: 10 });
    const url = world.t.url;
    if (!url) throw new Error("PostgreSQL only");
    // Another session holds key "held" uncommitted: the batch's key insert waits for it, then finds it taken.
    const holder = await openDatabase({ url, maxConnections: 1 });
    let release = () => {};
    const released = new Promise<void>((r) => {
      release = r;
    });
    let inserted = () => {};
    const holdingKey = new Promise<void>((r) => {
      inserted = r;
    });
    const holding = holder.db.transaction(async (tx) => {
      await tx.execute(
        sql`INSERT INTO idempotency_keys (realm_id, key, request_hash, result) VALUES ('default', 'held', 'x', 'null')`,
      );
      inserted();
      await released;
    });
    try {
      await holdingKey;
      const writer = createGroupWriter(world.t.db, { shards: 1 });
      const pending = settle([
        writer.adjust(ctx, input(A, 1)),
        writer.adjust(ctx, input(B, 2)),
        writer.adjust({ ...ctx, idempotencyKey: "held" }, input(C, 4)),
        writer.adjust(ctx, input(C, 3)),
      ]);
      for (let i = 0; i < 200; i++) {
        const waiting = await queryRows(
          world.t.db,
          sql`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`,
        );
        if (waiting.length > 0) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      release();
      await holding;
      const results = await pending;
      expect(results.map(codeOf)).toEqual(["ok", "ok", "IDEMPOTENCY_CONFLICT", "ok"]);
      expect(writer.stats.poisoned).toBe(1);
      expect(results.filter((r) => r.status === "fulfilled").map((r) => value(r).balance)).toEqual([11n, 12n, 13n]);
      await assertLedgerConsistent();
    } finally {
      release();
      await holder.close();
    }
  });

  it("a concurrent mixed workload through the service: ghosts, keys, debits, users; ledger sum == balances", async () => {
    const ctxUser = { ...ctx };
    await world.core.createUser(ctxUser, { userId: "group-user" });
    const subjects: Subject[] = [
      ...Array.from({ length: 20 }, (_, i) => discord(10 + i)),
      { kind: "user", userId: "group-user" },
    ];
    let seed = 0x5eed1234;
    const random = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const before = { ...world.core.writeStats };
    // Half the credentials are unknown at first: their first credits create ghosts through the writer.
    const ops = Array.from({ length: 800 }, (_, i) => {
      const subject = subjects[random(subjects.length)] as Subject;
      const keyed = i % 7 === 0 ? { ...ctx, idempotencyKey: `mixed-${random(60)}` } : ctx;
      const amount = random(3) ? 1 + random(40) : -(1 + random(30));
      return world.core.adjust(keyed, { subject, amount });
    });
    const settled = await settle(ops);
    const codes: Record<string, number> = {};
    for (const r of settled) codes[codeOf(r) ?? "?"] = (codes[codeOf(r) ?? "?"] ?? 0) + 1;
    const unexpected = settled.filter(
      (r) => !["ok", "INSUFFICIENT_BALANCE", "IDEMPOTENCY_CONFLICT", "NOT_FOUND"].includes(codeOf(r) ?? ""),
    );
    expect(unexpected.map((r) => (r as PromiseRejectedResult).reason)).toEqual([]);
    expect(codes.ok).toBeGreaterThan(500);
    expect(world.core.writeStats.batches).toBeGreaterThan(before.batches);
    const [dup] = await queryRows<{ n: string }>(
      world.t.db,
      sql`SELECT count(*)::text AS n FROM (SELECT idempotency_key FROM ledger_entries WHERE idempotency_key IS NOT NULL
        GROUP BY idempotency_key HAVING count(*) > 1) d`,
    );
    expect(dup?.n).toBe("0");
    const [credentials] = await queryRows<{ n: string }>(
      world.t.db,
      sql`SELECT count(*)::text AS n FROM credentials WHERE type = 'discord-id'`,
    );
    expect(Number(credentials?.n)).toBeLessThanOrEqual(20);
    await assertLedgerConsistent();
    const [neg] = await queryRows<{ n: string }>(
      world.t.db,
      sql`SELECT count(*)::text AS n FROM balances WHERE balance < 0`,
    );
    expect(neg?.n).toBe("0");
    console.info("group commit mixed workload", codes, world.core.writeStats);
  });
});
