import { queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { Subject, WriteContext } from "../context.ts";
import { importBalances } from "../export/import-balances.ts";
import { normalizeIdentifier } from "../identities.ts";
import { expectAuditClean, useTestCore } from "../testing.ts";

// Read-then-write races need real connections: PostgreSQL only. Each test here failed before its fix.
const ctx: WriteContext = { realmId: "default", initiator: { type: "cli", id: "race" }, via: "cli" };
const ghostId = normalizeIdentifier("discord-id", "700000000000000001");
const ghost: Subject = { kind: "credential", identifier: ghostId };
const other: Subject = { kind: "credential", identifier: normalizeIdentifier("discord-id", "700000000000000002") };

const world = useTestCore({ maxConnections: 40 });

const outcomes = (settled: PromiseSettledResult<unknown>[]) => {
  const codes: Record<string, number> = {};
  for (const r of settled) {
    const code = r.status === "fulfilled" ? "ok" : ((r.reason as { code?: string }).code ?? String(r.reason));
    codes[code] = (codes[code] ?? 0) + 1;
  }
  return codes;
};
const count = async (query: ReturnType<typeof sql>) =>
  Number((await queryRows<{ n: string }>(world.t.db, query))[0]?.n);

describe("races on PostgreSQL", () => {
  it("10 concurrent links of one credential to 10 users: exactly one wins, the others are CONFLICT and change nothing", async () => {
    await world.core.adjust(ctx, { subject: ghost, amount: 50 });
    for (let i = 0; i < 10; i++) await world.core.createUser(ctx, { userId: `u${i}` });
    const settled = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => world.core.link(ctx, ghostId, { userId: `u${i}` })),
    );
    expect(outcomes(settled)).toEqual({ ok: 1, CONFLICT: 9 });
    const winner = settled.findIndex((r) => r.status === "fulfilled");
    const state = await world.core.balanceOf("default", ghost);
    expect(state).toMatchObject({ linked: true, balance: 50n });
    expect(state.accountId).toBe((await world.core.getUser("default", `u${winner}`)).id);
    expect(await count(sql`SELECT count(*)::text AS n FROM ledger_entries WHERE kind = 'link'`)).toBe(2);
    await expectAuditClean(world.core);
  });

  it("10 users created at once with one email: exactly one gets it (and the ghost's points), the others CONFLICT", async () => {
    await world.core.adjust(ctx, {
      subject: { kind: "credential", identifier: normalizeIdentifier("email", "Ada@Example.com") },
      amount: 8,
    });
    const settled = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => world.core.createUser(ctx, { userId: `ada${i}`, email: "ada@example.com" })),
    );
    expect(outcomes(settled)).toEqual({ ok: 1, CONFLICT: 9 });
    expect(await count(sql`SELECT count(*)::text AS n FROM accounts WHERE kind = 'member'`)).toBe(1);
    // And with no credential yet: the creators race on inserting it.
    const fresh = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => world.core.createUser(ctx, { userId: `bob${i}`, email: "bob@example.com" })),
    );
    expect(outcomes(fresh)).toEqual({ ok: 1, CONFLICT: 9 });
    expect(await count(sql`SELECT count(*)::text AS n FROM accounts WHERE kind = 'member'`)).toBe(2);
    await expectAuditClean(world.core);
  });

  it("credits, debits and transfers racing a link all end on the account the credential points to", async () => {
    const rounds = 15;
    const tally: Record<string, number> = {};
    for (let round = 0; round < rounds; round++) {
      await world.t.reset();
      await world.core.ensureBootstrap({ apiKey: "tly_test_bootstrap_key" });
      await world.core.adjust(ctx, { subject: ghost, amount: 100 });
      await world.core.adjust(ctx, { subject: other, amount: 100 });
      await world.core.createUser(ctx, { userId: "member" });
      const ops: Promise<{ delta: bigint } | undefined>[] = Array.from({ length: 30 }, (_, i) => {
        const kind = i % 5;
        if (kind === 0)
          return world.core.transfer(ctx, { from: other, to: ghost, amount: 2 }).then(() => ({ delta: 2n }));
        if (kind === 1)
          return world.core.transfer(ctx, { from: ghost, to: other, amount: 1 }).then(() => ({ delta: -1n }));
        if (kind === 2) return world.core.batch(ctx, [{ subject: ghost, amount: 3 }]).then(() => ({ delta: 3n }));
        return world.core
          .adjust(ctx, { subject: ghost, amount: kind === 3 ? 5 : -1 })
          .then(() => ({ delta: kind === 3 ? 5n : -1n }));
      });
      ops.splice(
        round % 30,
        0,
        world.core.link(ctx, ghostId, { userId: "member" }).then(() => undefined),
      );
      const settled = await Promise.allSettled(ops);
      for (const [code, n] of Object.entries(outcomes(settled))) tally[code] = (tally[code] ?? 0) + n;
      const accepted = settled.reduce((sum, r) => sum + (r.status === "fulfilled" && r.value ? r.value.delta : 0n), 0n);
      const state = await world.core.balanceOf("default", ghost);
      expect(state.linked).toBe(true);
      expect(state.balance, `round ${round}`).toBe(100n + accepted);
      await expectAuditClean(world.core);
    }
    console.info(`credit/debit/transfer/link races over ${rounds} rounds:`, tally);
  });

  it("two processes bootstrapping one empty database with the same TALLY_API_KEY both start", async () => {
    for (let round = 0; round < 5; round++) {
      await world.t.reset();
      const settled = await Promise.allSettled(
        Array.from({ length: 8 }, () => world.core.ensureBootstrap({ apiKey: "tly_shared_bootstrap_key" })),
      );
      expect(outcomes(settled)).toEqual({ ok: 8 });
      expect(await count(sql`SELECT count(*)::text AS n FROM api_keys`)).toBe(1);
      expect(await count(sql`SELECT count(*)::text AS n FROM realms`)).toBe(1);
      expect(settled.filter((r) => r.status === "fulfilled" && r.value.createdRealm)).toHaveLength(1);
    }
  });

  it("10 default currencies created at once: all succeed and exactly one is the default", async () => {
    const settled = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => world.core.createCurrency("default", { name: `c${i}`, isDefault: true })),
    );
    expect(outcomes(settled)).toEqual({ ok: 10 });
    expect(await count(sql`SELECT count(*)::text AS n FROM currencies WHERE is_default`)).toBe(1);
  });

  it("concurrent email updates of one user link every address to that user", async () => {
    await world.core.createUser(ctx, { userId: "multi" });
    const settled = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => world.core.updateUser(ctx, "multi", { email: `m${i}@example.com` })),
    );
    expect(outcomes(settled)).toEqual({ ok: 8 });
    const member = await world.core.getUser("default", "multi");
    expect(await count(sql`SELECT count(*)::text AS n FROM credentials WHERE account_id = ${member.id}`)).toBe(8);
  });

  it("20 concurrent requests reusing one expired key: exactly one applies, the others replay it", async () => {
    await world.core.adjust({ ...ctx, idempotencyKey: "old" }, { subject: ghost, amount: 1 });
    await world.core.transfer({ ...ctx, idempotencyKey: "old-t" }, { from: ghost, to: other, amount: 1 });
    await world.t.db.execute(sql`UPDATE idempotency_keys SET created_at = now() - interval '100 hours'`);
    const adjusts = await Promise.all(
      Array.from({ length: 20 }, () =>
        world.core.adjust({ ...ctx, idempotencyKey: "old" }, { subject: ghost, amount: 5 }),
      ),
    );
    expect(adjusts.filter((r) => !r.replayed)).toHaveLength(1);
    expect(new Set(adjusts.map((r) => r.entryId)).size).toBe(1);
    const transfers = await Promise.all(
      Array.from({ length: 20 }, () =>
        world.core.transfer({ ...ctx, idempotencyKey: "old-t" }, { from: ghost, to: other, amount: 2 }),
      ),
    );
    expect(transfers.filter((r) => !r.replayed)).toHaveLength(1);
    expect((await world.core.balanceOf("default", ghost)).balance).toBe(1n - 1n + 5n - 2n);
    await expectAuditClean(world.core);
  });

  it("concurrent changes to different giving rules of one realm: every one is kept", async () => {
    const patches = [
      { giveCooldownSeconds: 60 },
      { dailyCapPerTarget: 500 },
      { minAccountAgeMinutes: 30 },
      { commandsPerMinute: 5 },
    ];
    for (let round = 0; round < 20; round++) {
      await world.core.setGivingRules("default", {
        giveCooldownSeconds: null,
        dailyCapPerTarget: null,
        minAccountAgeMinutes: null,
        commandsPerMinute: null,
      });
      await Promise.all(patches.map((patch) => world.core.setGivingRules("default", patch)));
      const [rules] = await queryRows<Record<string, number | null>>(
        world.t.db,
        sql`SELECT give_cooldown_seconds, daily_cap_per_target::int, min_account_age_minutes, commands_per_minute
          FROM giving_rules WHERE realm_id = 'default'`,
      );
      expect(rules, `round ${round}`).toEqual({
        give_cooldown_seconds: 60,
        daily_cap_per_target: 500,
        min_account_age_minutes: 30,
        commands_per_minute: 5,
      });
    }
  });

  it("a ghost linked while an import is still crediting it: the imported points follow it to the member", async () => {
    // A ghost with a credential and no balance yet, so the balance row the import makes is unseen by the link.
    await world.t.db.execute(
      sql`INSERT INTO accounts (id, realm_id, kind) VALUES ('import-ghost', 'default', 'ghost')`,
    );
    await world.t.db.execute(sql`INSERT INTO credentials (id, realm_id, type, source, value, account_id)
      VALUES ('import-credential', 'default', 'discord-id', '', '710000000000000000', 'import-ghost')`);
    await world.core.createUser(ctx, { userId: "importee" });
    const linked = normalizeIdentifier("discord-id", "710000000000000000");
    // Its line first, then 1500 more (about 3 ms each), so the import is still running when the link comes.
    const others = Array.from({ length: 1500 }, (_, i) => `${710000000000000001n + BigInt(i)},1`);
    let importedAt = 0;
    const importing = importBalances(world.t.db, {
      ctx,
      text: ["discord_id,balance", "710000000000000000,100", ...others].join("\n"),
      fileName: "race.csv",
      format: "csv",
      apply: true,
      currencies: await world.core.currencies("default"),
    }).finally(() => {
      importedAt = Date.now();
    });
    await new Promise((r) => setTimeout(r, 300));
    const linkedAt = Date.now();
    await world.core.link(ctx, linked, { userId: "importee" });
    expect(await importing).toMatchObject({ applied: true, entries: 1501 });
    expect(linkedAt, "the link came after the import ended: make the file longer").toBeLessThan(importedAt);
    expect(await world.core.balanceOf("default", { kind: "credential", identifier: linked })).toMatchObject({
      linked: true,
      balance: 100n,
    });
    expect(await count(sql`SELECT count(*)::text AS n FROM balances WHERE account_id = 'import-ghost'`)).toBe(0);
    await expectAuditClean(world.core);
  });

  it("one file imported twice at once: one run applies it, the other says it was already imported", async () => {
    const request = {
      ctx,
      text: [
        "discord_id,balance",
        ...Array.from({ length: 200 }, (_, i) => `${720000000000000000n + BigInt(i)},3`),
      ].join("\n"),
      fileName: "twice.csv",
      format: "csv" as const,
      apply: true,
      currencies: await world.core.currencies("default"),
    };
    const [first, second] = await Promise.all([
      importBalances(world.t.db, request),
      importBalances(world.t.db, request),
    ]);
    expect([first?.applied, second?.applied].sort()).toEqual([false, true]);
    expect([first?.alreadyImported, second?.alreadyImported].sort()).toEqual([false, true]);
    expect(await count(sql`SELECT count(*)::text AS n FROM ledger_entries WHERE kind = 'import'`)).toBe(200);
    await expectAuditClean(world.core);
  });
});
