import { connect, createServer, type Socket } from "node:net";
import { createBalanceService } from "@tally/core";
import { queryRows } from "@tally/db";
import { openTestDatabase } from "@tally/db/testing";
import { sql } from "drizzle-orm";
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

/**
 * A TCP proxy to PostgreSQL that a test can cut: `refuse()` drops every open connection and each new one at once
 * (counting the attempts), `restore()` forwards again. `listen()` starts it on `port`.
 */
function databaseProxy(target: URL, port: number) {
  const sockets = new Set<Socket>();
  let refusing = false;
  let attempts = 0;
  const server = createServer((client) => {
    attempts++;
    if (refusing) return void client.destroy();
    const upstream = connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => {});
      s.on("close", () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  const url = new URL(target);
  url.port = String(port);
  return {
    url: url.toString(),
    server,
    get attempts() {
      return attempts;
    },
    listen: () => server.listen(port, "127.0.0.1"),
    refuse() {
      refusing = true;
      for (const s of sockets) s.destroy();
    },
    restore() {
      refusing = false;
    },
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
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
    const proxy = databaseProxy(new URL(t.url as string), await freePort());
    // PostgreSQL "starting late": the proxy opens on the configured port only after the first failed attempt.
    // The first attempt fails at once (nothing listens); a later one finds the proxy.
    const api = await startApiProcess(
      { DATABASE_URL: proxy.url, DATABASE_POOL_MAX: "7" },
      {
        onOutput: (output) => {
          if (!proxy.server.listening && output.includes("DATABASE_URL not reachable yet (attempt 1:")) proxy.listen();
        },
      },
    );
    try {
      expect(api.output()).toMatch(/DATABASE_URL not reachable yet \(attempt 1: /);
      expect(api.output()).toContain("Database: PostgreSQL, pool of up to 7 connections (DATABASE_POOL_MAX)");
      expect((await fetch(`${api.url}/readyz`)).status).toBe(200);
    } finally {
      expect(await api.stop()).toBe(0);
      proxy.close();
    }
  });
});

describe("DATABASE_URL going away while Tally runs", { timeout: 120_000 }, () => {
  it("an idle process waits between attempts instead of spinning, listens again once it is back, and says so", async () => {
    const t = await openTestDatabase();
    const proxy = databaseProxy(new URL(t.url as string), await freePort());
    proxy.listen();
    const api = await startApiProcess({ DATABASE_URL: proxy.url, LOG_LEVEL: "info" });
    const listening = async () =>
      (
        await queryRows<{ n: number }>(
          t.db,
          sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'listen %' AND pid <> pg_backend_pid()`,
        )
      )[0]?.n ?? 0;
    try {
      await expect.poll(listening, { timeout: 5_000 }).toBeGreaterThan(0);
      proxy.refuse();
      await new Promise((r) => setTimeout(r, 500));
      const before = proxy.attempts;
      const failures = () => api.output().split("webhook delivery pass failed").length - 1;
      const failedBefore = failures();
      await new Promise((r) => setTimeout(r, 3_000));
      // Background passes (webhooks, pruning) try every so often, and the listener backs off up to 5 s between
      // attempts; with no delay the listener alone tried hundreds of times a second.
      expect(proxy.attempts - before).toBeLessThan(30);
      // The webhook worker fails each pass (2 a second) but says so once, not six times.
      expect(failures() - failedBefore).toBeLessThanOrEqual(1);
      expect(api.output()).not.toContain("webhook delivery works again");
      proxy.restore();
      await expect.poll(async () => (await fetch(`${api.url}/readyz`)).status, { timeout: 10_000 }).toBe(200);
      await expect.poll(listening, { timeout: 10_000 }).toBeGreaterThan(0);
      // Whoever read the failure line learns that it is over, once.
      await expect.poll(() => api.output().split("webhook delivery works again").length - 1).toBe(1);
    } finally {
      expect(await api.stop()).toBe(0);
      proxy.close();
      await t.close();
    }
  });

  it("a change announced while its LISTEN connection was down is not missed: the copies go when it listens again", async () => {
    const t = await openTestDatabase();
    const proxy = databaseProxy(new URL(t.url as string), await freePort());
    proxy.listen();
    const key = "tly_outage_listen_key";
    const api = await startApiProcess({ DATABASE_URL: proxy.url, TALLY_API_KEY: key });
    const emoji = async () => {
      const response = await fetch(`${api.url}/api/v1/realms/default/reactions/slack/T0AWAY`, {
        headers: { authorization: `Bearer ${key}` },
      });
      return ((await response.json()) as { reactions: { emoji: string }[] }).reactions[0]?.emoji ?? "none";
    };
    const core = createBalanceService(t.db);
    const doomed = await core.createApiKey("default", { name: "revoked while away" });
    const statusWith = async (apiKey: string) =>
      (await fetch(`${api.url}/api/v1/realms/default/currencies`, { headers: { authorization: `Bearer ${apiKey}` } }))
        .status;
    try {
      expect(await emoji()).toBe("none"); // the process's copy, good for 5 s
      expect(await statusWith(doomed.key)).toBe(200); // the key's lookup, good for 10 s
      proxy.refuse();
      // Made while the process cannot hear them: PostgreSQL's notices go nowhere.
      await t.db.execute(
        sql`INSERT INTO bot_bindings (platform, external_id, realm_id, settings)
          VALUES ('slack', 'T0AWAY', 'default', '{"reactions":[{"emoji":"taco","amount":1}]}')`,
      );
      expect(await core.revokeApiKey("default", doomed.apiKey.id)).toBe(true);
      const changedAt = Date.now();
      expect(await emoji()).toBe("none");
      proxy.restore();
      await expect.poll(emoji, { timeout: 4_000, interval: 50 }).toBe("taco");
      await expect.poll(() => statusWith(doomed.key), { timeout: 4_000, interval: 50 }).toBe(401);
      // Well before either copy would have aged out: the listener came back within its first retries and dropped them.
      expect(Date.now() - changedAt).toBeLessThan(2_500);
    } finally {
      expect(await api.stop()).toBe(0);
      proxy.close();
      await t.close();
    }
  });
});
