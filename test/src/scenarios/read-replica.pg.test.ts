import { type BalanceService, createBalanceService, inRequestScope } from "@tally/core";
import { type OpenDatabase, openDatabase } from "@tally/db";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startThrowawayPostgres, type ThrowawayPostgres } from "../setup/throwaway-postgres.ts";
import { type ApiProcess, startApiProcess } from "../tally-process.ts";
import { until } from "../webhook-receiver.ts";

// A primary and a real streaming replica of it (pg_basebackup -R), from the machine's binaries; the replica's
// replay is paused to make it lag on purpose.
const KEY = "tly_replica_test_key_0000";
const ctx = { realmId: "default", initiator: { type: "cli", id: "replica" }, via: "cli" } as const;
const subject = { kind: "user", userId: "reader" } as const;
let primary: ThrowawayPostgres;
let replica: ThrowawayPostgres;
let writes: OpenDatabase;
let reads: OpenDatabase;
let replicaAdmin: postgres.Sql;
let primaryAdmin: postgres.Sql;
let core: BalanceService;
let api: ApiProcess;

const topBalance = async () => (await core.leaderboard("default", {})).items[0]?.balance;

/**
 * Waits until the replica has replayed everything the primary has logged so far. The insert position, not
 * pg_current_wal_lsn (the write position): the test cluster commits without waiting for its WAL to be written, so the
 * write position can trail the last commit by up to wal_writer_delay, and a replica caught up to it may miss that
 * commit (3 of 4 runs on a quiet machine did).
 */
async function caughtUp(): Promise<void> {
  const [lsn] = await primaryAdmin`select pg_current_wal_insert_lsn()::text as lsn`;
  await until(
    async () => {
      const [row] = await replicaAdmin`select pg_last_wal_replay_lsn() >= ${lsn?.lsn}::pg_lsn as done`;
      return row?.done === true;
    },
    "the replica to catch up",
    10_000,
  );
}

/** Pauses replay and waits until it has stopped: a pause is only requested at first, and replay may go on meanwhile. */
async function pauseReplay(): Promise<void> {
  await replicaAdmin`select pg_wal_replay_pause()`;
  await until(
    async () => {
      const [row] = await replicaAdmin`select pg_get_wal_replay_pause_state() as state`;
      return row?.state === "paused";
    },
    "the replica to pause replay",
    10_000,
  );
}

beforeAll(async () => {
  primary = await startThrowawayPostgres();
  writes = await openDatabase({ url: primary.url, maxConnections: 4 });
  primaryAdmin = postgres(primary.url, { max: 1, onnotice: () => {} });
  replica = await primary.startReplica();
  replicaAdmin = postgres(replica.url, { max: 1, onnotice: () => {} });
  reads = await openDatabase({ url: replica.url, maxConnections: 2, migrate: false });
  core = createBalanceService(writes.db, { readDb: reads.db });
  await core.ensureBootstrap({ apiKey: KEY });
  await core.createUser(ctx, { userId: "reader" });
  await core.adjust(ctx, { subject, amount: 5 });
  api = await startApiProcess({ DATABASE_URL: primary.url, DATABASE_REPLICA_URL: replica.url, TALLY_API_KEY: KEY });
  await caughtUp();
}, 240_000);
afterAll(async () => {
  await api?.stop();
  await replicaAdmin?.end();
  await primaryAdmin?.end();
  await reads?.close();
  await writes?.close();
  replica?.stop();
  primary?.stop();
});

describe("DATABASE_REPLICA_URL", () => {
  it("leaderboards and history read the replica: while it lags they miss the newest write", async () => {
    expect(await topBalance()).toBe(5n);
    await pauseReplay();
    try {
      const change = await core.adjust(ctx, { subject, amount: 7 });
      expect(change.balance).toBe(12n);
      // Balances never come from the replica.
      expect((await core.balanceOf("default", subject)).balance).toBe(12n);
      expect(await topBalance()).toBe(5n);
      expect((await core.history("default", { subject })).items).toHaveLength(1);
      // The same through a real API process started with DATABASE_REPLICA_URL.
      const headers = { authorization: `Bearer ${KEY}` };
      const board = await fetch(`${api.url}/api/v1/realms/default/members/leaderboard`, { headers });
      expect(JSON.stringify(await board.json())).toContain('"balance":5');
      const exported = await fetch(`${api.url}/api/v1/realms/default/transactions/export?format=jsonl`, { headers });
      expect((await exported.text()).trim().split("\n")).toHaveLength(1);
      const balance = await fetch(`${api.url}/users/reader/credits`, { headers });
      expect(await balance.json()).toMatchObject({ credit_balance: 12 });
    } finally {
      await replicaAdmin`select pg_wal_replay_resume()`;
    }
    await caughtUp();
    expect(await topBalance()).toBe(12n);
    expect((await core.history("default", { subject })).items).toHaveLength(2);
  });

  it("a request that has written reads the primary, however far the replica lags", async () => {
    await pauseReplay();
    try {
      const outside = await topBalance();
      const inside = await inRequestScope(async () => {
        const before = await topBalance();
        await core.adjust(ctx, { subject, amount: 1 });
        return { before, after: await topBalance(), entries: (await core.history("default", { subject })).items };
      });
      // Before its write the request may read the replica; after it, the primary.
      expect(inside.before).toBe(outside);
      expect(inside.after).toBe(13n);
      expect(inside.entries).toHaveLength(3);
      expect(await topBalance()).toBe(12n);
    } finally {
      await replicaAdmin`select pg_wal_replay_resume()`;
    }
  });
});
