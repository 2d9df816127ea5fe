import { queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import type { Subject, WriteContext } from "../context.ts";
import { normalizeIdentifier } from "../identities.ts";
import { expectAuditClean, useTestCore } from "../testing.ts";

// PGlite runs one statement at a time: only PostgreSQL can show an allowance check racing its credit.
const world = useTestCore({ apiKey: "tly_giving_race_key", maxConnections: 40 });
const discord = (id: string): Subject => ({ kind: "credential", identifier: normalizeIdentifier("discord-id", id) });
const giver = discord("120000000000000001");
const targets = Array.from({ length: 8 }, (_, i) => discord(`12000000000000010${i}`));
const ctx = (i: number): WriteContext => ({
  realmId: "default",
  initiator: { type: "discord", id: "120000000000000001" },
  via: "discord",
  idempotencyKey: `discord:race-${i}`,
});

afterEach(() => expectAuditClean(world.core));

describe("allowance under concurrency (PostgreSQL)", () => {
  it("200 concurrent thanks from one giver to 8 targets never give more than the allowance of 50", async () => {
    const currencyId = (await world.core.currency("default")).id;
    await world.core.setAllowance("default", currencyId, { amount: 50, period: "day" });
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) =>
        world.core.thank(ctx(i), { giver, target: targets[i % targets.length] as Subject, amount: 1 + (i % 3) }),
      ),
    );
    const refused = results.filter((r) => r.status === "rejected");
    for (const r of refused) expect((r.reason as { code?: string }).code).toBe("ALLOWANCE_EXHAUSTED");
    const [row] = await queryRows<{ minted: string; entries: string }>(
      world.t.db,
      sql`SELECT coalesce(sum(delta), 0)::text AS minted, count(*)::text AS entries FROM ledger_entries WHERE kind = 'thank'`,
    );
    const [usage] = await queryRows<{ used: string }>(world.t.db, sql`SELECT used::text FROM allowance_usage`);
    // Exactly what was granted was minted, and never more than the allowance; the allowance was used up.
    expect(Number(row?.minted)).toBeLessThanOrEqual(50);
    expect(Number(row?.minted)).toBeGreaterThanOrEqual(48);
    expect(usage?.used).toBe(row?.minted);
    expect(Number(row?.entries)).toBe(results.length - refused.length);
    expect(refused.length).toBeGreaterThan(100);
  });
});

describe("clearing a message's reactions under concurrency (PostgreSQL)", () => {
  it("clears racing each other and single removals take each gift back exactly once", async () => {
    const author = discord("120000000000000200");
    const reactors = Array.from({ length: 12 }, (_, i) => `1200000000000003${String(i).padStart(2, "0")}`);
    const on = { platform: "discord" as const, messageId: "120000000000000900", emoji: "🌮" };
    const as = (id: string): WriteContext => ({
      realmId: "default",
      initiator: { type: "discord", id },
      via: "discord",
    });
    for (const id of reactors) {
      const given = await world.core.reactionAdded(as(id), {
        ...on,
        reactorId: id,
        targetId: "120000000000000200",
        giver: discord(id),
        target: author,
        amount: 3,
      });
      expect(given.outcome).toBe("given");
    }
    expect((await world.core.balanceOf("default", author)).balance).toBe(36n);
    const outcomes = await Promise.all([
      world.core.reactionsCleared(as("guild"), { platform: "discord", messageId: on.messageId }),
      world.core.reactionsCleared(as("guild"), { platform: "discord", messageId: on.messageId, emoji: "🌮" }),
      ...reactors.map((id) => world.core.reactionRemoved(as(id), { ...on, reactorId: id })),
    ]);
    expect(outcomes.every((o) => o.outcome !== "kept")).toBe(true);
    expect((await world.core.balanceOf("default", author)).balance).toBe(0n);
    const [row] = await queryRows<{ reversals: string; standing: string }>(
      world.t.db,
      sql`SELECT (SELECT count(*) FROM ledger_entries WHERE kind = 'reversal')::text AS reversals,
        (SELECT count(*) FROM reaction_gifts WHERE state = 'given')::text AS standing`,
    );
    expect(row).toEqual({ reversals: "12", standing: "0" });
  });
});
