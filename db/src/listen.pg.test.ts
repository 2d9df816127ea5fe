import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { queryRows } from "./open-database.ts";
import { openTestDatabase } from "./testing.ts";

it("tells the listener each time listening starts: at first, and again after its connection was lost", async () => {
  const t = await openTestDatabase();
  const starts: number[] = [];
  const notices: string[] = [];
  const stop = await t.listen(
    "tally_listen_test",
    (payload) => notices.push(payload),
    () => starts.push(Date.now()),
  );
  try {
    expect(starts).toHaveLength(1);
    const [killed] = await queryRows<{ n: number }>(
      t.db,
      sql`SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND query LIKE 'listen %' AND pid <> pg_backend_pid()`,
    );
    expect(killed?.n).toBe(1);
    await expect.poll(() => starts.length, { timeout: 5_000 }).toBe(2);
    await t.db.execute(sql`SELECT pg_notify('tally_listen_test', 'after the reconnect')`);
    await expect.poll(() => notices, { timeout: 2_000 }).toContain("after the reconnect");
  } finally {
    await stop();
    await t.close();
  }
});
