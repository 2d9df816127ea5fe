import { describe, expect, it } from "vitest";
import { useTestCore } from "../testing.ts";

// Making a currency the default reads the old default and writes both: real concurrency, so PostgreSQL only.
const world = useTestCore({ maxConnections: 20 });

const defaults = async () => (await world.core.currencies("default")).filter((c) => c.isDefault);

describe("making a currency the default, concurrently, on PostgreSQL", () => {
  it("leaves exactly one default after many switches and a default-creating insert race, with no deadlock", async () => {
    const made = [];
    for (let i = 0; i < 6; i++) made.push(await world.core.createCurrency("default", { name: `c${i}` }));
    for (let round = 0; round < 5; round++) {
      const results = await Promise.allSettled([
        ...made.map((c) => world.core.updateCurrency("default", c.id, { isDefault: true })),
        world.core.createCurrency("default", { name: `fresh${round}`, isDefault: true }),
      ]);
      expect(results.filter((r) => r.status === "rejected")).toEqual([]);
      world.core.forgetCurrencies("default");
      expect(await defaults()).toHaveLength(1);
    }
  });

  it("never ends with an archived default when archive and make-default race on one currency", async () => {
    for (let round = 0; round < 10; round++) {
      const c = await world.core.createCurrency("default", { name: `race${round}` });
      const [archive, makeDefault] = await Promise.allSettled([
        world.core.setCurrencyArchived("default", c.id, true),
        world.core.updateCurrency("default", c.id, { isDefault: true }),
      ]);
      const after = await world.core.getCurrency("default", c.id);
      // One of them wins; the other is refused by the rule the winner established.
      if (after.isDefault) {
        expect(after.archivedAt).toBeNull();
        expect(archive).toMatchObject({ status: "rejected", reason: { code: "CONFLICT" } });
        expect(makeDefault.status).toBe("fulfilled");
      } else {
        expect(after.archivedAt).toBeInstanceOf(Date);
        expect(makeDefault).toMatchObject({ status: "rejected", reason: { code: "CONFLICT" } });
      }
      world.core.forgetCurrencies("default");
      expect(await defaults()).toHaveLength(1);
    }
  });
});
