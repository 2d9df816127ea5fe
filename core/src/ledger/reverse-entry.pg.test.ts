import { queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import type { Subject, WriteContext } from "../context.ts";
import { normalizeIdentifier } from "../identities.ts";
import { expectAuditClean, useTestCore } from "../testing.ts";

// Concurrent reversals need real connections: PostgreSQL only.
const ctx: WriteContext = { realmId: "default", initiator: { type: "cli", id: "race" }, via: "cli" };
const who = (id: string): Subject => ({ kind: "credential", identifier: normalizeIdentifier("discord-id", id) });
const A = who("510000000000000001");
const B = who("510000000000000002");

const world = useTestCore({ maxConnections: 30 });
afterEach(() => expectAuditClean(world.core));

const outcomes = (settled: PromiseSettledResult<unknown>[]) => {
  const codes: Record<string, number> = {};
  for (const r of settled) {
    const code = r.status === "fulfilled" ? "ok" : ((r.reason as { code?: string }).code ?? String(r.reason));
    codes[code] = (codes[code] ?? 0) + 1;
  }
  return codes;
};

describe("concurrent reversals on PostgreSQL", () => {
  it("20 concurrent reversals of one entry: exactly one succeeds, the others are ALREADY_REVERSED", async () => {
    await world.core.adjust(ctx, { subject: A, amount: 100 });
    const credit = await world.core.adjust(ctx, { subject: A, amount: 40 });
    const settled = await Promise.allSettled(Array.from({ length: 20 }, () => world.core.reverse(ctx, credit.entryId)));
    expect(outcomes(settled)).toEqual({ ok: 1, ALREADY_REVERSED: 19 });
    expect((await world.core.balanceOf("default", A)).balance).toBe(100n);
    const [row] = await queryRows<{ n: string }>(
      world.t.db,
      sql`SELECT count(*)::text AS n FROM ledger_entries WHERE kind = 'reversal'`,
    );
    expect(row?.n).toBe("1");
  });

  it("reversing both legs of one transfer at once undoes it exactly once", async () => {
    await world.core.adjust(ctx, { subject: A, amount: 50 });
    const transfer = await world.core.transfer(ctx, { from: A, to: B, amount: 20 });
    const settled = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        world.core.reverse(ctx, i % 2 ? transfer.from.entryId : transfer.to.entryId),
      ),
    );
    expect(outcomes(settled)).toEqual({ ok: 1, ALREADY_REVERSED: 19 });
    expect((await world.core.balanceOf("default", A)).balance).toBe(50n);
    expect((await world.core.balanceOf("default", B)).balance).toBe(0n);
  });

  it("a reversal racing debits of the same credit never overdraws", async () => {
    const credit = await world.core.adjust(ctx, { subject: A, amount: 10 });
    const settled = await Promise.allSettled([
      world.core.reverse(ctx, credit.entryId),
      ...Array.from({ length: 10 }, () => world.core.adjust(ctx, { subject: A, amount: -1 })),
    ]);
    const reversed = settled[0]?.status === "fulfilled";
    const debits = settled.slice(1).filter((r) => r.status === "fulfilled").length;
    // Either the reversal took all 10 first (no debit fits after it), or some debits ran first and it was refused.
    expect(reversed ? debits === 0 : debits > 0).toBe(true);
    expect((await world.core.balanceOf("default", A)).balance).toBe(reversed ? 0n : BigInt(10 - debits));
    console.info("reversal racing 10 debits:", outcomes(settled));
  });
});
