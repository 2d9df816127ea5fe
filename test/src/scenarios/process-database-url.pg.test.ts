import { connect, createServer, type Socket } from "node:net";
import { openTestDatabase } from "@tally/db/testing";
import { describe, expect, it } from "vitest";
import { failedStart, startApiProcess } from "../tally-process.ts";

/** A loopback port nothing listens on yet. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("DATABASE_URL at start-up", { timeout: 120_000 }, () => {
  it("unreachable: retries with backoff, logging each attempt, then one line naming DATABASE_URL and the host", async () => {
    const port = await freePort();
    const failure = await failedStart(
      startApiProcess({
        DATABASE_URL: `postgres://tally:s3cret-pw@127.0.0.1:${port}/tally`,
        DATABASE_CONNECT_RETRY_SECONDS: "2",
      }),
    );
    expect(failure).toContain("exited with 1 before it was ready");
    expect(failure).toMatch(/DATABASE_URL not reachable yet \(attempt 1: .*ECONNREFUSED.*\); retrying in 0\.5 s/);
    expect(failure).toMatch(/attempt 2: .*retrying in 1 s/);
    expect(failure).toMatch(
      new RegExp(
        `Cannot use the PostgreSQL database at DATABASE_URL \\(host 127\\.0\\.0\\.1:${port}\\) after \\d attempts`,
      ),
    );
    expect(failure).not.toContain("s3cret-pw");
  });

  it("an unreachable replica: its attempts and its one line name DATABASE_REPLICA_URL, not the primary", async () => {
    const t = await openTestDatabase();
    await t.close();
    const port = await freePort();
    const failure = await failedStart(
      startApiProcess({
        DATABASE_URL: t.url,
        DATABASE_REPLICA_URL: `postgres://tally:s3cret-pw@127.0.0.1:${port}/tally`,
        DATABASE_CONNECT_RETRY_SECONDS: "1",
      }),
    );
    expect(failure).toContain("exited with 1 before it was ready");
    expect(failure).toMatch(
      /DATABASE_REPLICA_URL not reachable yet \(attempt 1: .*ECONNREFUSED.*\); retrying in 0\.5 s/,
    );
    expect(failure).toMatch(
      new RegExp(`Cannot use the PostgreSQL database at DATABASE_REPLICA_URL \\(host 127\\.0\\.0\\.1:${port}\\)`),
    );
    expect(failure).not.toContain("at DATABASE_URL");
    expect(failure).not.toContain("s3cret-pw");
  });

  it("comes up once PostgreSQL does, and says how big its pool is", async () => {
    const t = await openTestDatabase();
    await t.close();
    const target = new URL(t.url as string);
    const port = await freePort();
    // PostgreSQL "starting late": a proxy to it opens on the configured port only after the first failed attempt.
    const sockets = new Set<Socket>();
    const proxy = createServer((client) => {
      const upstream = connect(Number(target.port), target.hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on("error", () => {});
        s.on("close", () => sockets.delete(s));
      }
      client.pipe(upstream).pipe(client);
    });
    const late = new URL(target);
    late.port = String(port);
    // The first attempt fails at once (nothing listens); a later one finds the proxy.
    const api = await startApiProcess(
      { DATABASE_URL: late.toString(), DATABASE_POOL_MAX: "7" },
      {
        onOutput: (output) => {
          if (!proxy.listening && output.includes("DATABASE_URL not reachable yet (attempt 1:"))
            proxy.listen(port, "127.0.0.1");
        },
      },
    );
    try {
      expect(api.output()).toMatch(/DATABASE_URL not reachable yet \(attempt 1: /);
      expect(api.output()).toContain("Database: PostgreSQL, pool of up to 7 connections (DATABASE_POOL_MAX)");
      expect((await fetch(`${api.url}/readyz`)).status).toBe(200);
    } finally {
      expect(await api.stop()).toBe(0);
      for (const s of sockets) s.destroy();
      proxy.close();
    }
  });
});
