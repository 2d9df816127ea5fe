import { randomBytes } from "node:crypto";
import { isDatabaseUnavailable } from "@tally/core";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

// The driver itself, against a real server, killed the way the fault suite kills it (patches/README.md says why).
const url = inject("pgAdminUrl");
const killer = postgres(url, { max: 1, onnotice: () => {} });
const table = `orphan_${randomBytes(4).toString("hex")}`;
const uncaught: unknown[] = [];
const onUncaught = (error: unknown) => uncaught.push(error);

beforeAll(async () => {
  process.on("uncaughtException", onUncaught);
  await killer.unsafe(`CREATE TABLE ${table} (n int)`);
});
afterAll(async () => {
  process.off("uncaughtException", onUncaught);
  await killer.unsafe(`DROP TABLE IF EXISTS ${table}`);
  await killer.end();
});

const settle = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([
    promise.then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    ),
    new Promise<{ ok: "timeout" }>((resolve) => setTimeout(() => resolve({ ok: "timeout" }), ms)),
  ]);

describe("postgres.js under a terminated backend (patched 3.4.9)", () => {
  it("a transaction whose backend dies rejects with a connection error, and the pool serves the next query", async () => {
    const sql = postgres(url, { max: 2, onnotice: () => {}, backoff: () => 0 });
    try {
      for (let round = 0; round < 5; round++) {
        let pid: number | undefined;
        const tx = sql.begin(async (t) => {
          const [row] = await t<{ pid: number }[]>`select pg_backend_pid() as pid`;
          pid = row?.pid;
          await t`select pg_sleep(5)`;
          await t`select 1`;
        });
        // Handled from the start: the dead backend's close can reach the pool before the killer's own reply does.
        tx.catch(() => {});
        while (pid === undefined) await new Promise((r) => setTimeout(r, 10));
        await killer`select pg_terminate_backend(${pid})`;
        const outcome = await settle(tx, 3_000);
        expect(outcome.ok).toBe(false);
        expect(isDatabaseUnavailable((outcome as { error: unknown }).error)).toBe(true);
        // 3.4.9 sent the next session's startup behind the dead one's ROLLBACK: it never connected again.
        const next = await settle(sql`select 1 as one`, 3_000);
        expect(next).toEqual({ ok: true, value: [{ one: 1 }] });
      }
      expect(uncaught).toEqual([]);
    } finally {
      await sql.end({ timeout: 1 });
    }
  });

  it("a transaction's statement sent after its connection closed never runs outside the transaction", async () => {
    const sql = postgres(url, { max: 1, onnotice: () => {}, backoff: () => 0 });
    try {
      let late: Promise<unknown> | undefined;
      const tx = sql.begin(async (t) => {
        await t.unsafe(`INSERT INTO ${table} VALUES (1)`);
        const [row] = await t<{ pid: number }[]>`select pg_backend_pid() as pid`;
        await killer`select pg_terminate_backend(${row?.pid ?? 0})`;
        // Meanwhile another caller gets the (reconnected) connection; then this callback carries on.
        await new Promise((r) => setTimeout(r, 500));
        late = t.unsafe(`INSERT INTO ${table} VALUES (2)`).then(
          () => "ran",
          () => "rejected",
        );
      });
      const outcome = settle(tx, 5_000);
      const other = await sql`select 1 as one`;
      expect(other).toEqual([{ one: 1 }]);
      expect((await outcome).ok).toBe(false);
      while (!late) await new Promise((r) => setTimeout(r, 20));
      expect(await late).toBe("rejected");
      expect(await killer.unsafe(`SELECT n FROM ${table}`)).toEqual([]);
      expect(uncaught).toEqual([]);
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
});
