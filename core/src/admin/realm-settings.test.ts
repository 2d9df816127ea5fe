import { describe, expect, it } from "vitest";
import type { WriteContext } from "../context.ts";
import { useTestCore } from "../testing.ts";

const world = useTestCore();
const ctx: WriteContext = { realmId: "default", initiator: { type: "cli", id: "test" }, via: "cli" };

describe("realm settings", () => {
  it("changes only the settings named, and refuses an empty change or an unknown realm", async () => {
    await world.core.updateRealmSettings("default", { timezone: "Europe/Berlin" });
    const on = await world.core.updateRealmSettings("default", { publicLeaderboard: true });
    expect(on).toMatchObject({ timezone: "Europe/Berlin", publicLeaderboard: true });
    const utc = await world.core.updateRealmSettings("default", { timezone: null });
    expect(utc).toMatchObject({ timezone: null, publicLeaderboard: true });
    await expect(world.core.updateRealmSettings("default", {})).rejects.toMatchObject({ code: "VALIDATION" });
    await expect(world.core.updateRealmSettings("nowhere", { publicLeaderboard: true })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(
      world.core.updateRealmSettings("default", { publicLeaderboard: false, timezone: "Mars/Olympus" }),
    ).rejects.toMatchObject({ code: "VALIDATION" });
    expect((await world.core.getRealm("default"))?.publicLeaderboard).toBe(true);
  });
});

describe("publicLeaderboard", () => {
  it("answers an off realm as an unknown one, and gives labels and amounts only", async () => {
    const off = await world.core.publicLeaderboard("default").catch((error: unknown) => error);
    const unknown = await world.core.publicLeaderboard("nowhere").catch((error: unknown) => error);
    expect(off).toMatchObject({ code: "NOT_FOUND" });
    expect(unknown).toEqual(off);

    await world.core.updateRealmSettings("default", { publicLeaderboard: true });
    await world.core.createUser(ctx, { userId: "ada", name: "Ada", email: "ada@example.com" });
    await world.core.createUser(ctx, { userId: "bob", email: "bob@example.com" });
    for (let i = 0; i < 30; i++) await world.core.createUser(ctx, { userId: `m${i}`, name: `M${i}` });
    await world.core.adjust(ctx, { subject: { kind: "user", userId: "ada" }, amount: 500 });
    await world.core.adjust(ctx, { subject: { kind: "user", userId: "bob" }, amount: 400 });
    for (let i = 0; i < 30; i++)
      await world.core.adjust(ctx, { subject: { kind: "user", userId: `m${i}` }, amount: 1 + i });
    const board = await world.core.publicLeaderboard("default", { period: "week" });
    expect(board.rows).toHaveLength(25);
    expect(board.rows.slice(0, 3)).toEqual([
      { rank: 1, label: "Ada", amount: 500n },
      { rank: 2, label: "A member", amount: 400n },
      { rank: 3, label: "M29", amount: 30n },
    ]);
    expect(JSON.stringify(board, (_k, v) => (typeof v === "bigint" ? v.toString() : v))).not.toMatch(
      /@example\.com|"ada"|"bob"|accountId|userId/,
    );

    const old = await world.core.createCurrency("default", { name: "old" });
    await world.core.setCurrencyArchived("default", old.id, true);
    await expect(world.core.publicLeaderboard("default", { currencyId: old.id })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    expect((await world.core.publicLeaderboard("default")).currencies.map((c) => c.name)).toEqual(["points"]);
  });
});
