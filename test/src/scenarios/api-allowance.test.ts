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

  it("replays a keyed allowance change with its original answer", async () => {
    const path = await currencyPath();
    const send = () =>
      h.call("PATCH", path, {
        body: { allowance: { amount: 7, period: "month" } },
        headers: { "idempotency-key": "allowance-once" },
      });
    const first = await send();
    const again = await send();
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    expect(again.body.allowance).toEqual({ amount: 7, period: "month", managersExempt: false });
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

describe("giving rules and reaction bindings over the API", () => {
  it("reads and changes giving rules, refusing bad values by field", async () => {
    expect((await h.call("GET", "/api/v1/realms/default/giving-rules")).body).toEqual({
      giveCooldownSeconds: null,
      dailyCapPerTarget: null,
      minAccountAgeMinutes: null,
      commandsPerMinute: null,
    });
    const set = await h.call("PATCH", "/api/v1/realms/default/giving-rules", {
      body: { giveCooldownSeconds: 60, dailyCapPerTarget: 10 },
    });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ giveCooldownSeconds: 60, dailyCapPerTarget: 10, minAccountAgeMinutes: null });
    const bad = await h.call("PATCH", "/api/v1/realms/default/giving-rules", { body: { giveCooldownSeconds: -5 } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain("giveCooldownSeconds");
    const off = await h.call("PATCH", "/api/v1/realms/default/giving-rules", { body: { giveCooldownSeconds: null } });
    expect(off.body).toMatchObject({ giveCooldownSeconds: null, dailyCapPerTarget: 10 });
  });

  it("sets which emoji give points in a server or workspace of the realm, never in another realm's", async () => {
    const path = "/api/v1/realms/default/reactions/slack/T0API";
    const set = await h.call("PUT", path, {
      body: {
        reactions: [
          { emoji: ":taco:", amount: 1 },
          { emoji: "tada", amount: 2 },
        ],
      },
    });
    expect(set.status).toBe(200);
    expect(set.body.reactions).toEqual([
      { emoji: "taco", amount: 1 },
      { emoji: "tada", amount: 2 },
    ]);
    expect((await h.call("GET", path)).body.reactions).toHaveLength(2);
    const dup = await h.call("PUT", path, {
      body: {
        reactions: [
          { emoji: "taco", amount: 1 },
          { emoji: "taco", amount: 2 },
        ],
      },
    });
    expect(dup.status).toBe(400);
    expect(dup.body.message).toContain("reactions[1].emoji");
    const negative = await h.call("PUT", path, { body: { reactions: [{ emoji: "taco", amount: -1 }] } });
    expect(negative.status).toBe(400);
    // Points have no decimal places: half a point per reaction is refused now, not at every reaction.
    const half = await h.call("PUT", path, { body: { reactions: [{ emoji: "taco", amount: 1.5 }] } });
    expect(half.status).toBe(400);
    expect(half.body.message).toContain("reactions[0].amount: The amount must be a whole number");
    expect((await h.call("GET", path)).body.reactions).toHaveLength(2);

    await h.core.createRealm({ id: "other", name: "Other" });
    await h.core.bindBot({ platform: "discord", externalId: "920000000000000555", realmId: "other" });
    const foreign = await h.call("PUT", "/api/v1/realms/default/reactions/discord/920000000000000555", {
      body: { reactions: [{ emoji: "🌮", amount: 1 }] },
    });
    expect(foreign.status).toBe(403);
    expect((await h.core.bindingFor("discord", "920000000000000555")).settings.reactions).toBeUndefined();
    const read = await h.call("GET", "/api/v1/realms/default/reactions/discord/920000000000000555");
    expect(read.status).toBe(403);
  });
});
