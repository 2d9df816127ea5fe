import { createBalanceService } from "@tally/core";
import { expectAuditClean } from "@tally/core/testing";
import { openTestDatabase, type TestDatabase } from "@tally/db/testing";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

// The pgbouncer project only: the suites it repeats reach PostgreSQL through this PgBouncer; this file shows they do,
// with prepared statements off.
const ctx = { realmId: "default", initiator: { type: "cli", id: "bouncer" }, via: "cli" } as const;
const subject = { kind: "user", userId: "bouncer-user" } as const;
let t: TestDatabase;
beforeAll(async () => {
  t = await openTestDatabase();
});
afterAll(() => t.close());

const console = () => {
  const u = new URL(inject("pgBouncerUrl"));
  u.pathname = "/pgbouncer";
  return postgres(u.toString(), { max: 1, onnotice: () => {}, fetch_types: false });
};

describe("through Debian's PgBouncer in transaction pooling mode", () => {
  it("the test database is reached through PgBouncer 1.18, pooled per transaction", async () => {
    expect(new URL(t.url ?? "").port).toBe(new URL(inject("pgBouncerUrl")).port);
    const admin = console();
    try {
      const [version] = await admin.unsafe("SHOW VERSION").simple();
      expect(JSON.stringify(version)).toContain("PgBouncer 1.18");
      const pools = await admin.unsafe("SHOW POOLS").simple();
      const ours = pools.find((p) => p.database === new URL(t.url ?? "").pathname.slice(1));
      expect(ours?.pool_mode).toBe("transaction");
    } finally {
      await admin.end();
    }
  });

  it("300 concurrent deltas through it, unprepared, end exact and the ledger audits clean", async () => {
    const core = createBalanceService(t.db);
    await core.ensureBootstrap({ apiKey: "tly_bouncer_key_000" });
    await core.createUser(ctx, { userId: "bouncer-user" });
    await Promise.all(Array.from({ length: 300 }, () => core.adjust(ctx, { subject, amount: 1 })));
    expect((await core.balanceOf("default", subject)).balance).toBe(300n);

    await expectAuditClean(core);
  });
});
