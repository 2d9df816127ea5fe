import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { WriteContext } from "../context.ts";
import { normalizeIdentifier } from "../identities.ts";
import { useTestCore } from "../testing.ts";

const world = useTestCore();
const ctx: WriteContext = { realmId: "default", initiator: { type: "cli", id: "test" }, via: "cli" };
const ada = { kind: "credential" as const, identifier: normalizeIdentifier("discord-id", "731000000000000001") };

/** Credits 1 as if it happened at `at` (entries are written now; the test moves them in time). */
async function entryAt(at: string): Promise<void> {
  const change = await world.core.adjust(ctx, { subject: ada, amount: 1 });
  await world.t.db.execute(sql`UPDATE ledger_entries SET created_at = ${at}::timestamptz WHERE id = ${change.entryId}`);
}

describe("the overview's entries per day", () => {
  it("counts each entry on its local calendar day, across a daylight-saving change, edges included", async () => {
    // Berlin moves to summer time at 01:00 UTC on Sunday 2026-03-29: that day is 23 hours long.
    await entryAt("2026-03-27T22:59:59Z"); // 23:59:59 on the 27th in Berlin
    await entryAt("2026-03-27T23:00:00Z"); // midnight, the 28th
    await entryAt("2026-03-28T22:59:59Z"); // 23:59:59 on the 28th
    await entryAt("2026-03-28T23:00:00Z"); // midnight, the 29th (still winter time)
    await entryAt("2026-03-29T21:59:59Z"); // 23:59:59 on the 29th (summer time)
    await entryAt("2026-03-29T22:00:00Z"); // midnight, the 30th
    await entryAt("2026-03-10T12:00:00Z"); // before the 3 days shown
    const currency = await world.core.currency("default");
    const summary = await world.core.dashboard.summarize("default", currency.id, {
      now: new Date("2026-03-30T08:00:00Z"),
      timeZone: "Europe/Berlin",
      days: 4,
    });
    expect(summary.perDay).toEqual([
      { day: "2026-03-27", entries: 1 },
      { day: "2026-03-28", entries: 2 },
      { day: "2026-03-29", entries: 2 },
      { day: "2026-03-30", entries: 1 },
    ]);
    const utc = await world.core.dashboard.summarize("default", currency.id, {
      now: new Date("2026-03-30T08:00:00Z"),
      days: 2,
    });
    expect(utc.perDay).toEqual([
      { day: "2026-03-29", entries: 2 },
      { day: "2026-03-30", entries: 0 },
    ]);
  });
});
