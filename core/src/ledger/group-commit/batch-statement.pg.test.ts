import { runPrepared } from "@tally/db";
import { sql } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import type { WriteContext } from "../../context.ts";
import { normalizeIdentifier } from "../../identities.ts";
import { useTestCore } from "../../testing.ts";
import { ADJUST_BATCH_SQL, adjustBatchParameters, applyAdjustBatch, type BatchAdjust } from "./batch-statement.ts";

// The planner only shows its real choices on PostgreSQL, with a realm big enough for a seq scan to look cheap.
const ctx: WriteContext = { realmId: "default", initiator: { type: "cli", id: "plan" }, via: "cli" };
const hot = { kind: "credential", identifier: normalizeIdentifier("discord-id", "400000000000000001") } as const;
const world = useTestCore({ apiKey: "tly_batch_plan_key" });
let items: BatchAdjust[];

// Each test starts from an emptied database with realm `default` (useTestCore), so each seeds its own realm.
beforeEach(async () => {
  const currency = await world.core.currency("default");
  await world.t.db.execute(sql`INSERT INTO accounts (id, realm_id, kind)
    SELECT 'plan-' || n, 'default', 'ghost' FROM generate_series(1, 10000) n`);
  await world.t.db.execute(sql`INSERT INTO balances (account_id, currency_id, realm_id, balance)
    SELECT 'plan-' || n, ${currency.id}, 'default', n FROM generate_series(1, 10000) n`);
  await world.core.adjust(ctx, { subject: hot, amount: 5 });
  await world.t.db.execute(sql`ANALYZE accounts`);
  await world.t.db.execute(sql`ANALYZE balances`);
  items = Array.from({ length: 128 }, (_, n) => ({
    ctx,
    input: { subject: hot, currency, delta: n % 3 === 2 ? -4n : 1n },
    hash: "",
  }));
});

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  Plans?: PlanNode[];
}
type Explained = { "QUERY PLAN": [{ Plan: PlanNode }] };
const nodes = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodes)];

describe("the batch statement's plan", () => {
  it("looks up accounts and balances by key, and walks the running balance without rescanning the batch", async () => {
    const [row] = await runPrepared<Explained>(
      world.t.db,
      `EXPLAIN (FORMAT JSON) ${ADJUST_BATCH_SQL}`,
      adjustBatchParameters(items),
    );
    const plan = nodes((row as Explained)["QUERY PLAN"][0].Plan);
    const scanned = plan.filter((n) => n["Node Type"] === "Seq Scan").map((n) => n["Relation Name"]);
    expect(scanned.filter((name) => ["accounts", "balances", "credentials"].includes(name ?? ""))).toEqual([]);
    const recursion = plan.filter((n) => n["Node Type"] === "Recursive Union");
    expect(recursion).toHaveLength(1);
    const [, step] = (recursion[0] as PlanNode).Plans ?? [];
    // The recursive step reads only its own work table: one row per account per step, so a batch of n costs n.
    expect(nodes(step as PlanNode).filter((n) => n["Node Type"] === "CTE Scan")).toEqual([]);
  });

  it("runs that batch as if one request followed another: running balances, refusals alone", async () => {
    const rows = await applyAdjustBatch(world.t.db, items);
    let balance = 5n;
    const expected = items.map(({ input }) => {
      const ok = balance + input.delta >= 0n;
      if (ok) balance += input.delta;
      return { ok, after: ok ? String(balance) : null };
    });
    expect(rows.map((r) => ({ ok: r.ok, after: r.balance_after === null ? null : String(r.balance_after) }))).toEqual(
      expected,
    );
    expect((await world.core.balanceOf("default", hot)).balance).toBe(balance);
  });
});
