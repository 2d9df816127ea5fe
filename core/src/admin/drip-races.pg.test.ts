import { openDatabase, queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { CURRENCY_CHANGED_CHANNEL, createBalanceService } from "../balance-service.ts";
import type { WriteContext } from "../context.ts";
import { normalizeIdentifier } from "../identities.ts";
import { expectAuditClean, useTestCore } from "../testing.ts";

// The read-then-writes of the Drip routes, with real connections: PostgreSQL only.
const ctx: WriteContext = { realmId: "default", initiator: { type: "cli", id: "race" }, via: "cli" };
const world = useTestCore({ maxConnections: 40 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `hold` in a transaction on its own connection and keeps it open until `release` is called. */
function holdOpen(hold: (tx: typeof world.t.db) => Promise<void>) {
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let ready = () => {};
  const holding = new Promise<void>((resolve) => {
    ready = resolve;
  });
  const done = world.t.db.transaction(async (tx) => {
    await hold(tx);
    ready();
    await released;
  });
  return { holding, release, done };
}

/** Settles to "pending" if `promise` has not settled within `ms`. */
const stateAfter = (promise: Promise<unknown>, ms: number) =>
  Promise.race([
    promise.then(
      () => "fulfilled",
      () => "rejected",
    ),
    sleep(ms).then(() => "pending"),
  ]);

describe("Drip routes' races on PostgreSQL", () => {
  it("DELETE credential waits for a credit that holds the credential, then refuses (409): no point is stranded", async () => {
    const id = normalizeIdentifier("email", "ghost@example.com");
    const created = await world.core.createCredential(ctx, id, {});
    const [points] = await world.core.currencies("default");
    // A credit in flight, as every writer runs one: the credential row locked, then its balance written.
    const credit = holdOpen(async (tx) => {
      await queryRows(tx, sql`SELECT id FROM credentials WHERE id = ${created.id} FOR UPDATE`);
      await queryRows(
        tx,
        sql`INSERT INTO balances (account_id, currency_id, realm_id, balance)
          VALUES (${created.accountId}, ${points?.id}, 'default', 5)`,
      );
      await queryRows(
        tx,
        sql`INSERT INTO ledger_entries (realm_id, currency_id, account_id, delta, balance_after, kind, initiator_type,
            initiator_id, via, credential_id)
          VALUES ('default', ${points?.id}, ${created.accountId}, 5, 5, 'adjust', 'cli', 'race', 'cli', ${created.id})`,
      );
    });
    await credit.holding;
    const removal = world.core.deleteCredential(ctx, id);
    expect(await stateAfter(removal, 300)).toBe("pending");
    credit.release();
    await credit.done;
    await expect(removal).rejects.toMatchObject({ code: "CONFLICT" });
    expect((await world.core.balanceOf("default", { kind: "credential", identifier: id })).balance).toBe(5n);
    await expectAuditClean(world.core);
  });

  it("20 rounds of DELETE credential racing a credit of it: each point lands on a live credential", async () => {
    for (let round = 0; round < 20; round++) {
      const id = normalizeIdentifier("discord-id", `80000000000000${String(round).padStart(4, "0")}`);
      await world.core.createCredential(ctx, id, {});
      const [removed, credited] = await Promise.allSettled([
        world.core.deleteCredential(ctx, id),
        world.core.adjust(ctx, { subject: { kind: "credential", identifier: id }, amount: 3 }),
      ]);
      expect(credited.status).toBe("fulfilled");
      if (removed.status === "rejected") expect(removed.reason).toMatchObject({ code: "CONFLICT" });
      // Whichever won, the credential exists now (re-created as a new ghost if the delete came first) and holds 3.
      const state = await world.core.balanceOf("default", { kind: "credential", identifier: id });
      expect(state.balance).toBe(3n);
    }
    await expectAuditClean(world.core);
  });

  it("a scale change waits for a first entry in flight, then refuses (409)", async () => {
    const gems = await world.core.createCurrency("default", { name: "gems" });
    const ghost = await world.core.createCredential(ctx, normalizeIdentifier("email", "first@example.com"), {});
    const first = holdOpen(async (tx) => {
      await queryRows(
        tx,
        sql`INSERT INTO balances (account_id, currency_id, realm_id, balance)
          VALUES (${ghost.accountId}, ${gems.id}, 'default', 1)`,
      );
      await queryRows(
        tx,
        sql`INSERT INTO ledger_entries (realm_id, currency_id, account_id, delta, balance_after, kind, initiator_type,
            initiator_id, via, credential_id)
          VALUES ('default', ${gems.id}, ${ghost.accountId}, 1, 1, 'adjust', 'cli', 'race', 'cli', ${ghost.id})`,
      );
    });
    await first.holding;
    const change = world.core.updateCurrency("default", gems.id, { scale: 2 });
    expect(await stateAfter(change, 300)).toBe("pending");
    first.release();
    await first.done;
    await expect(change).rejects.toMatchObject({ code: "CONFLICT" });
    expect((await world.core.getCurrency("default", gems.id)).scale).toBe(0);
  });

  it("a first entry waits for a scale change in progress, and a currency archived meanwhile takes no more entries", async () => {
    const gems = await world.core.createCurrency("default", { name: "gems" });
    const settled = await Promise.allSettled([
      world.core.updateCurrency("default", gems.id, { scale: 2 }),
      world.core.adjust(ctx, {
        subject: { kind: "credential", identifier: normalizeIdentifier("email", "a@example.com") },
        amount: 1,
        currencyId: gems.id,
      }),
    ]);
    const [change, credit] = settled;
    expect(credit.status).toBe("fulfilled");
    // Either the change saw the entry (409) or it committed before the entry's balance row existed.
    if (change.status === "rejected") expect(change.reason).toMatchObject({ code: "CONFLICT" });
    await world.core.setCurrencyArchived("default", gems.id, true);
    await expect(
      world.core.adjust(ctx, {
        subject: { kind: "credential", identifier: normalizeIdentifier("email", "a@example.com") },
        amount: 1,
        currencyId: gems.id,
      }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    await expectAuditClean(world.core);
  });
});

describe("currency changes across processes", () => {
  it("reach another process's currency cache as soon as the change commits, so it writes nothing into an archived currency", async () => {
    // A second process: its own pool and its own balance service, listening as api/src/main.ts does.
    const other = await openDatabase({ url: world.t.url, maxConnections: 2 });
    try {
      const elsewhere = createBalanceService(other.db);
      const heard: string[] = [];
      const stop = await other.listen(CURRENCY_CHANGED_CHANNEL, (realmId) => {
        elsewhere.forgetCurrencies(realmId);
        heard.push(realmId);
      });
      const gems = await world.core.createCurrency("default", { name: "gems" });
      const ada = { kind: "credential", identifier: normalizeIdentifier("email", "ada@example.com") } as const;
      // The other process has the realm's currencies cached (for 5 s) when this one archives gems.
      await elsewhere.adjust(ctx, { subject: ada, amount: 1, currencyId: gems.id });
      await world.core.setCurrencyArchived("default", gems.id, true);
      // Two announcements reach the other process: the currency's creation, then its archive.
      await expect.poll(() => heard, { timeout: 1000, interval: 10 }).toEqual(["default", "default"]);
      await expect(elsewhere.adjust(ctx, { subject: ada, amount: 1, currencyId: gems.id })).rejects.toMatchObject({
        code: "CONFLICT",
      });
      expect(await elsewhere.balanceOf("default", ada, gems.id)).toMatchObject({ balance: 1n });
      await stop();
    } finally {
      await other.close();
    }
  });
});
