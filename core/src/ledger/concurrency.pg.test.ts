import { queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import type { Subject, WriteContext } from "../context.ts";
import { normalizeIdentifier } from "../identities.ts";
import { expectAuditClean, useTestCore } from "../testing.ts";

// PGlite runs one statement at a time, so only PostgreSQL can show a lost update or a deadlock.
const ctx: WriteContext = { realmId: "default", initiator: { type: "cli", id: "race" }, via: "cli" };
const discord = (id: string): Subject => ({ kind: "credential", identifier: normalizeIdentifier("discord-id", id) });
const A = discord("100000000000000001");
const B = discord("100000000000000002");

const world = useTestCore({ apiKey: "tly_race_test_key", maxConnections: 40 });

// Whatever a race did, the ledger must still prove itself afterwards.
afterEach(() => expectAuditClean(world.core));

/** Every balance equals the sum of its account's ledger entries; returns the number of balances checked. */
async function assertLedgerMatchesBalances(): Promise<number> {
  const rows = await queryRows<{ account_id: string; balance: string; ledger: string | null; n: string }>(
    world.t.db,
    sql`SELECT b.account_id, b.balance::text, (SELECT sum(delta)::text FROM ledger_entries e
          WHERE e.account_id = b.account_id AND e.currency_id = b.currency_id) AS ledger,
        (SELECT count(*)::text FROM ledger_entries e WHERE e.account_id = b.account_id) AS n
      FROM balances b`,
  );
  for (const row of rows) expect(row.ledger ?? "0", `account ${row.account_id}`).toBe(row.balance);
  return rows.length;
}

describe("concurrency on PostgreSQL", () => {
  it("500 concurrent +1 deltas on one account end at exactly 500 with 500 entries", async () => {
    await world.core.adjust(ctx, { subject: A, amount: 1 });
    await world.core.adjust(ctx, { subject: A, amount: -1 });
    const started = performance.now();
    await Promise.all(Array.from({ length: 500 }, () => world.core.adjust(ctx, { subject: A, amount: 1 })));
    const ms = performance.now() - started;
    const { balance } = await world.core.balanceOf("default", A);
    expect(balance).toBe(500n);
    const [count] = await queryRows<{ n: string }>(world.t.db, sql`SELECT count(*)::text AS n FROM ledger_entries`);
    expect(count?.n).toBe("502");
    await assertLedgerMatchesBalances();
    console.info(`500 concurrent deltas on one row: ${ms.toFixed(0)} ms`);
  });

  it("concurrent first credits to one unknown credential create it once and lose nothing", async () => {
    await Promise.all(Array.from({ length: 50 }, () => world.core.adjust(ctx, { subject: B, amount: 2 })));
    expect((await world.core.balanceOf("default", B)).balance).toBe(100n);
    const [row] = await queryRows<{ n: string }>(world.t.db, sql`SELECT count(*)::text AS n FROM credentials`);
    expect(row?.n).toBe("1");
  });

  it("concurrent debits never overdraw: exactly the affordable ones succeed", async () => {
    await world.core.adjust(ctx, { subject: A, amount: 30 });
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, () => world.core.adjust(ctx, { subject: A, amount: -1 })),
    );
    const ok = results.filter((r) => r.status === "fulfilled").length;
    const refused = results.filter(
      (r) => r.status === "rejected" && (r.reason as { code?: string }).code === "INSUFFICIENT_BALANCE",
    ).length;
    expect(ok).toBe(30);
    expect(refused).toBe(70);
    expect((await world.core.balanceOf("default", A)).balance).toBe(0n);
    await assertLedgerMatchesBalances();
  });

  it("opposite transfers run concurrently without deadlock failures or lost money", async () => {
    await world.core.adjust(ctx, { subject: A, amount: 1000 });
    await world.core.adjust(ctx, { subject: B, amount: 1000 });
    const transfers = Array.from({ length: 200 }, (_, i) =>
      i % 2 === 0
        ? world.core.transfer(ctx, { from: A, to: B, amount: 3 })
        : world.core.transfer(ctx, { from: B, to: A, amount: 5 }),
    );
    await Promise.all(transfers);
    const a = (await world.core.balanceOf("default", A)).balance;
    const b = (await world.core.balanceOf("default", B)).balance;
    expect(a).toBe(1000n - 100n * 3n + 100n * 5n);
    expect(a + b).toBe(2000n);
    await assertLedgerMatchesBalances();
  });

  it("the same idempotency key sent 50 times concurrently applies once, and every caller gets the same result", async () => {
    const keyed = { ...ctx, idempotencyKey: "same-key" };
    const results = await Promise.all(
      Array.from({ length: 50 }, () => world.core.adjust(keyed, { subject: A, amount: 7 })),
    );
    expect((await world.core.balanceOf("default", A)).balance).toBe(7n);
    expect(new Set(results.map((r) => r.entryId)).size).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    const [row] = await queryRows<{ n: string }>(world.t.db, sql`SELECT count(*)::text AS n FROM ledger_entries`);
    expect(row?.n).toBe("1");
  });

  it("the same idempotency key on a transfer, 20 times concurrently, moves the money once", async () => {
    await world.core.adjust(ctx, { subject: A, amount: 100 });
    const keyed = { ...ctx, idempotencyKey: "transfer-key" };
    await Promise.all(Array.from({ length: 20 }, () => world.core.transfer(keyed, { from: A, to: B, amount: 10 })));
    expect((await world.core.balanceOf("default", A)).balance).toBe(90n);
    expect((await world.core.balanceOf("default", B)).balance).toBe(10n);
  });

  it("a randomized concurrent workload keeps every balance equal to its ledger sum", async () => {
    const subjects = Array.from({ length: 12 }, (_, i) => discord(`2000000000000000${String(i).padStart(2, "0")}`));
    for (const subject of subjects) await world.core.adjust(ctx, { subject, amount: 100 });
    let seed = 0x2f6b3a1d;
    const random = (n: number) => {
      // xorshift32: deterministic, so a failure reproduces
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const pick = () => subjects[random(subjects.length)] as Subject;
    const ops = Array.from({ length: 400 }, (_, i) => {
      const kind = random(4);
      const keyed = i % 5 === 0 ? { ...ctx, idempotencyKey: `k${random(40)}` } : ctx;
      if (kind === 0) return world.core.transfer(keyed, { from: pick(), to: pick(), amount: 1 + random(20) });
      if (kind === 1) {
        return world.core.batch(keyed, [
          { subject: pick(), amount: 1 + random(10) },
          { subject: pick(), amount: -(1 + random(10)) },
        ]);
      }
      return world.core.adjust(keyed, { subject: pick(), amount: random(2) ? 1 + random(50) : -(1 + random(30)) });
    });
    const settled = await Promise.allSettled(ops);
    const unexpected = settled.filter(
      (r) =>
        r.status === "rejected" &&
        !["INSUFFICIENT_BALANCE", "IDEMPOTENCY_CONFLICT", "VALIDATION"].includes(
          (r.reason as { code?: string }).code ?? "",
        ),
    );
    expect(unexpected.map((r) => (r as PromiseRejectedResult).reason)).toEqual([]);
    const codes: Record<string, number> = {};
    for (const r of settled) {
      const code = r.status === "fulfilled" ? "ok" : ((r.reason as { code?: string }).code ?? "?");
      codes[code] = (codes[code] ?? 0) + 1;
    }
    console.info("randomized workload outcomes", codes);
    expect(codes.ok).toBeGreaterThan(250);
    expect(await assertLedgerMatchesBalances()).toBe(subjects.length);
    const [neg] = await queryRows<{ n: string }>(
      world.t.db,
      sql`SELECT count(*)::text AS n FROM balances WHERE balance < 0`,
    );
    expect(neg?.n).toBe("0");
  });
});
