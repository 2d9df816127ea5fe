import { queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { Subject, WriteContext } from "../context.ts";
import { normalizeIdentifier } from "../identities.ts";
import { expectAuditClean, useTestCore } from "../testing.ts";

const ctx: WriteContext = { realmId: "default", initiator: { type: "cli", id: "audit" }, via: "cli" };
const who = (id: string): Subject => ({ kind: "credential", identifier: normalizeIdentifier("discord-id", id) });
const A = who("300000000000000001");
const B = who("300000000000000002");

const world = useTestCore();

/** A small ledger with every kind of write, keyed and not. */
async function someLedger(): Promise<void> {
  await world.core.adjust({ ...ctx, idempotencyKey: "a1" }, { subject: A, amount: 50 });
  await world.core.adjust(ctx, { subject: B, amount: 5 });
  await world.core.transfer({ ...ctx, idempotencyKey: "t1" }, { from: A, to: B, amount: 20 });
  await world.core.batch({ ...ctx, idempotencyKey: "b1" }, [
    { subject: A, amount: -3 },
    { subject: B, amount: 4 },
  ]);
}

const checks = async (realmId?: string) => (await world.core.audit(realmId)).problems.map((p) => p.check);

describe("ledger audit", () => {
  it("finds nothing wrong with a ledger written only through core, and counts what it read", async () => {
    await someLedger();
    const report = await expectAuditClean(world.core);
    expect(report).toMatchObject({ ok: true, accounts: 2, entries: 6 });
    expect(await world.core.audit("default")).toMatchObject({ ok: true, entries: 6 });
    expect(await world.core.audit("no-such-realm")).toEqual({ ok: true, accounts: 0, entries: 0, problems: [] });
  });

  it("reports a balance that differs from the sum of its entries", async () => {
    await someLedger();
    await world.t.db.execute(sql`UPDATE balances SET balance = balance + 1
      WHERE account_id = (SELECT account_id FROM credentials WHERE value = '300000000000000001')`);
    const report = await world.core.audit();
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      expect.objectContaining({ check: "balance_mismatch", message: expect.stringContaining("sum to 27") }),
    ]);
  });

  it("reports an entry whose balance_after breaks the chain", async () => {
    await someLedger();
    const [first] = await queryRows<{ id: string }>(world.t.db, sql`SELECT min(id)::text AS id FROM ledger_entries`);
    await world.t.db.execute(sql`UPDATE ledger_entries SET balance_after = balance_after + 7 WHERE id = ${first?.id}`);
    // The entry itself and the one after it no longer chain.
    expect(await checks()).toEqual(["balance_after_chain", "balance_after_chain"]);
  });

  it("reports a balance on an account no credential or user reaches, and a forbidden negative balance", async () => {
    await someLedger();
    await world.t.db.execute(sql`DELETE FROM credentials WHERE value = '300000000000000002'`);
    expect(await checks()).toEqual(["orphan_balance"]);
    await world.t.db.execute(sql`UPDATE balances SET balance = -1 WHERE account_id =
      (SELECT account_id FROM credentials WHERE value = '300000000000000001')`);
    await world.t.db.execute(sql`UPDATE ledger_entries SET delta = delta - 28, balance_after = -1 WHERE id =
      (SELECT max(id) FROM ledger_entries WHERE credential_id = (SELECT id FROM credentials
        WHERE value = '300000000000000001'))`);
    expect((await checks()).sort()).toEqual(["negative_balance", "orphan_balance"]);
  });

  it("reports an idempotency record whose entries are gone, wherever the result nests them", async () => {
    await someLedger();
    await world.t.db.execute(sql`UPDATE idempotency_keys SET result = jsonb_set(result, '{from,entryId}', '"999999"')
      WHERE key = 't1'`);
    await world.t.db.execute(sql`UPDATE idempotency_keys SET result = jsonb_set(result, '{1,entryId}', '"999998"')
      WHERE key = 'b1'`);
    const report = await world.core.audit("default");
    expect(report.problems.map((p) => [p.check, p.key, p.entryId]).sort()).toEqual([
      ["idempotency_dangling", "b1", "999998"],
      ["idempotency_dangling", "t1", "999999"],
    ]);
  });
});
