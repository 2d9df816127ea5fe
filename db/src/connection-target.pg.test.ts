import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openDatabase, queryRows } from "./open-database.ts";
import { openSessionLocks } from "./session-locks.ts";

// libpq's `?host=/folder` names a unix socket; postgres.js alone would send `host` to the server as a setting.
const admin = postgres(inject("pgAdminUrl"), { max: 1, onnotice: () => {} });
let socketUrl: string;
beforeAll(async () => {
  const [row] = await admin<{ dirs: string }[]>`SELECT current_setting('unix_socket_directories') AS dirs`;
  const dir = (row?.dirs ?? "").split(",")[0]?.trim() ?? "";
  const url = new URL(inject("pgAdminUrl"));
  url.hostname = "localhost";
  url.searchParams.set("host", dir);
  socketUrl = url.toString();
});
afterAll(() => admin.end());

describe("DATABASE_URL naming a unix socket", () => {
  it("opens the database through the socket folder, not TCP", async () => {
    const database = await openDatabase({ url: socketUrl, migrate: false });
    try {
      const [row] = await queryRows<{ tcp: boolean }>(database.db, sql`SELECT inet_server_addr() IS NOT NULL AS tcp`);
      expect(row?.tcp).toBe(false);
    } finally {
      await database.close();
    }
  });

  it("holds session locks through the socket folder too", async () => {
    const locks = await openSessionLocks(socketUrl);
    try {
      expect(await locks.tryLock(727_999, 1)).toBe(true);
      await locks.unlock(727_999, 1);
    } finally {
      await locks.close();
    }
  });

  it("refuses a host parameter that is not a folder, with a line that says what it must be", async () => {
    const url = new URL(socketUrl);
    url.searchParams.set("host", "db.example.com");
    await expect(openDatabase({ url: url.toString(), migrate: false })).rejects.toThrow(
      `DATABASE_URL's host parameter must be a socket folder starting with / (got "db.example.com")`,
    );
    await expect(
      openDatabase({ url: url.toString(), setting: "DATABASE_REPLICA_URL", migrate: false }),
    ).rejects.toThrow(
      `DATABASE_REPLICA_URL's host parameter must be a socket folder starting with / (got "db.example.com")`,
    );
  });

  it("a missing socket folder fails naming the socket it looked for", async () => {
    const url = new URL(socketUrl);
    url.searchParams.set("host", "/nonexistent-tally-socket");
    await expect(openDatabase({ url: url.toString(), migrate: false })).rejects.toThrow(
      /^Cannot use the PostgreSQL database at DATABASE_URL \(host \/nonexistent-tally-socket:\d+\): .*\/nonexistent-tally-socket\/\.s\.PGSQL\./,
    );
  });
});
