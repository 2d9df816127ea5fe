import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createBalanceService } from "../balance-service.ts";
import type { Subject, WriteContext } from "../context.ts";
import { normalizeIdentifier } from "../identities.ts";
import { useTestCore } from "../testing.ts";

const world = useTestCore();
const ctx: WriteContext = { realmId: "default", initiator: { type: "cli", id: "test" }, via: "cli" };
const person = (n: number): Subject => ({
  kind: "credential",
  identifier: normalizeIdentifier("discord-id", `73000000000000000${n}`),
});
const [a, b, c, d] = [person(1), person(2), person(3), person(4)];
// A Wednesday: the week began on Monday 2026-11-16, the month on 2026-11-01 (UTC).
const NOW = new Date("2026-11-18T10:00:00Z");

/** Credits `amount` as if it happened at `at` (entries are written now; the test moves them in time). */
async function creditAt(subject: Subject, amount: number, at: string): Promise<void> {
  const change = await world.core.adjust(ctx, { subject, amount });
  await world.t.db.execute(sql`UPDATE ledger_entries SET created_at = ${at}::timestamptz WHERE id = ${change.entryId}`);
}

const board = async (period: "day" | "week" | "month" | "all") => {
  const core = createBalanceService(world.t.db, { now: () => NOW });
  const result = await core.leaderboard("default", { period });
  // Rows that tie come in account-id order, and ids are random: compare them by rank, then by person.
  return result.items
    .map((row) => [row.credentials[0]?.value.slice(-1) ?? "", row.rank, Number(row.received ?? row.balance)] as const)
    .sort((x, y) => x[1] - y[1] || x[0].localeCompare(y[0]));
};

describe("period leaderboards", () => {
  it("ranks by what was received since the period began, entries on both sides of each boundary, ties sharing a rank", async () => {
    await creditAt(a, 100, "2026-11-15T23:59:59Z"); // Sunday: last week
    await creditAt(a, 5, "2026-11-16T00:00:01Z"); // Monday: this week
    await creditAt(b, 5, "2026-11-17T12:00:00Z");
    await creditAt(c, 3, "2026-11-18T09:00:00Z"); // today
    await creditAt(d, 40, "2026-10-31T23:59:59Z"); // last month
    expect(await board("day")).toEqual([["3", 1, 3]]);
    expect(await board("week")).toEqual([
      ["1", 1, 5],
      ["2", 1, 5],
      ["3", 3, 3],
    ]);
    expect(await board("month")).toEqual([
      ["1", 1, 105],
      ["2", 2, 5],
      ["3", 3, 3],
    ]);
    expect(await board("all")).toEqual([
      ["1", 1, 105],
      ["4", 2, 40],
      ["2", 3, 5],
      ["3", 4, 3],
    ]);
  });

  it("counts weeks from Monday midnight in the realm's time zone", async () => {
    await creditAt(a, 100, "2026-11-15T23:59:59Z"); // Monday 08:59 in Tokyo, Sunday 18:59 in New York
    await creditAt(b, 5, "2026-11-16T04:00:00Z"); // Monday in UTC and Tokyo, still Sunday in New York
    await world.core.setRealmTimezone("default", "Asia/Tokyo");
    expect(await board("week")).toEqual([
      ["1", 1, 100],
      ["2", 2, 5],
    ]);
    await world.core.setRealmTimezone("default", "America/New_York");
    expect(await board("week")).toEqual([]);
    await world.core.setRealmTimezone("default", null);
    expect(await board("week")).toEqual([["2", 1, 5]]);
    await expect(world.core.setRealmTimezone("default", "Mars/Olympus")).rejects.toMatchObject({ code: "VALIDATION" });
    await expect(world.core.setRealmTimezone("default", "CEST")).rejects.toMatchObject({ code: "VALIDATION" });
  });

  it("counts gives and tips received, not takes, links or undone entries, and credits a ghost's entries to its member", async () => {
    const at = "2026-11-18T08:00:00Z";
    await creditAt(a, 10, at);
    const tip = await world.core.transfer(ctx, { from: a, to: b, amount: 4 });
    await world.t.db.execute(
      sql`UPDATE ledger_entries SET created_at = ${at}::timestamptz WHERE id = ${tip.to.entryId}`,
    );
    const undone = await world.core.adjust(ctx, { subject: c, amount: 50 });
    await world.t.db.execute(
      sql`UPDATE ledger_entries SET created_at = ${at}::timestamptz WHERE id = ${undone.entryId}`,
    );
    await world.core.reverse(ctx, undone.entryId);
    await creditAt(d, 6, at);
    await world.core.createUser(ctx, { userId: "dora" });
    if (d.kind !== "credential") throw new Error("a credential");
    await world.core.link(ctx, d.identifier, { userId: "dora" });
    await world.t.db.execute(sql`UPDATE ledger_entries SET created_at = ${at}::timestamptz WHERE kind = 'link'`);
    expect(await board("day")).toEqual([
      ["1", 1, 10],
      ["4", 2, 6],
      ["2", 3, 4],
    ]);
  });
});
