import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "../harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());
beforeEach(() => h.reset());

const currencyPath = async () => `/api/v1/realms/default/currencies/${(await h.core.currency("default")).id}`;

describe("PATCH /api/v1/realms/{realmId}/currencies/{currencyId} {allowance}", () => {
  it("sets, shows and removes a currency's allowance", async () => {
    const path = await currencyPath();
    const set = await h.call("PATCH", path, { body: { allowance: { amount: 10, period: "week" } } });
    expect(set.status).toBe(200);
    expect(set.body.allowance).toEqual({ amount: 10, period: "week", managersExempt: false });
    const listed = await h.call("GET", "/api/v1/realms/default/currencies");
    expect(listed.body.data[0].allowance).toEqual({ amount: 10, period: "week", managersExempt: false });
    const exempt = await h.call("PATCH", path, {
      body: { allowance: { amount: 2.5, period: "day", managersExempt: true } },
    });
    expect(exempt.status).toBe(400); // points have no decimal places
    expect(exempt.body.message).toContain("allowance.amount");
    const removed = await h.call("PATCH", path, { body: { allowance: null } });
    expect(removed.status).toBe(200);
    expect(removed.body.allowance).toBeNull();
  });

  it("refuses bad input by field, unknown currencies and other realms, changing nothing", async () => {
    const path = await currencyPath();
    const period = await h.call("PATCH", path, { body: { allowance: { amount: 5, period: "year" } } });
    expect(period.status).toBe(400);
    expect(period.body.message).toContain("allowance.period");
    const extra = await h.call("PATCH", path, { body: { allowance: { amount: 5, period: "day", rollOver: true } } });
    expect(extra.status).toBe(400);
    const zero = await h.call("PATCH", path, { body: { allowance: { amount: 0, period: "day" } } });
    expect(zero.status).toBe(400);
    expect(zero.body.message).toContain("allowance.amount");
    const missing = await h.call("PATCH", "/api/v1/realms/default/currencies/nope", { body: { allowance: null } });
    expect(missing.status).toBe(404);
    await h.core.createRealm({ id: "other", name: "Other" });
    const { key } = await h.core.createApiKey("other", { name: "other" });
    const foreign = await h.call("PATCH", path, { body: { allowance: { amount: 5, period: "day" } }, auth: key });
    expect(foreign.status).toBe(403);
    expect((await h.core.currency("default")).allowanceAmount).toBeNull();
  });
});
