import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "../harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const credit = (value: string, amount: number) =>
  h.call("PATCH", `/api/v1/realms/default/credentials/balance?type=discord-id&value=${value}`, { body: { amount } });

describe("GET /api/v1/realms/{realmId}/audit (fixed contract)", () => {
  it("answers ok with the counts, then names a balance that no longer matches its entries", async () => {
    await credit("400000000000000001", 9);
    await credit("400000000000000001", -2);
    const clean = await h.call("GET", "/api/v1/realms/default/audit");
    expect(clean).toMatchObject({ status: 200, body: { ok: true, accounts: 1, entries: 2, problems: [] } });

    await h.t.db.execute(sql`UPDATE balances SET balance = 100`);
    const broken = await h.call("GET", "/api/v1/realms/default/audit");
    expect(broken.status).toBe(200);
    expect(broken.body).toMatchObject({ ok: false, accounts: 1, entries: 2 });
    expect(broken.body.problems).toEqual([
      expect.objectContaining({ check: "balance_mismatch", currencyId: expect.any(String) }),
    ]);
  });

  it("audits only the caller's realm", async () => {
    await h.core.createRealm({ id: "other", name: "Other" });
    const { key } = await h.core.createApiKey("other", { name: "other" });
    await credit("400000000000000002", 5);
    await h.t.db.execute(sql`UPDATE balances SET balance = 6`);
    const other = await h.call("GET", "/api/v1/realms/other/audit", { auth: key });
    expect(other.body).toEqual({ ok: true, accounts: 0, entries: 0, problems: [] });
    const foreign = await h.call("GET", "/api/v1/realms/default/audit", { auth: key });
    expect([403, 404]).toContain(foreign.status);
    expect(foreign.body.problems).toBeUndefined();
    expect((await h.call("GET", "/api/v1/realms/default/audit", { auth: null })).status).toBe(401);
  });
});
