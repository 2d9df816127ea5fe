import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { openTestDatabase } from "@tally/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApiProcess } from "../tally-process.ts";

const root = fileURLToPath(new URL("../../..", import.meta.url));
let dataDir: string;
let databaseUrl: string | undefined;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "tally-failures-"));
  const t = await openTestDatabase();
  databaseUrl = t.url;
  await t.close();
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const refusal = (env: Record<string, string | undefined>) =>
  startApiProcess({
    TALLY_DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    TALLY_API_KEY: "tly_failures_key_001",
    ...env,
  }).then(
    async (unexpected) => {
      await unexpected.stop();
      return "started";
    },
    (error: Error) => error.message,
  );

describe("failures that explain themselves", { timeout: 240_000 }, () => {
  it("Slack unreachable: names the door and the URL", async () => {
    const apiUrl = `http://127.0.0.1:${await closedPort()}/api/`;
    const failure = await refusal({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_SIGNING_SECRET: "s", SLACK_API_URL: apiUrl });
    expect(failure).toContain("exited with 1 before it was ready");
    expect(failure).toContain(`Slack refused the bot token or was unreachable (auth.test at ${apiUrl})`);
  });

  it("Discord unreachable: names the door, the settings and the URL", async () => {
    const apiUrl = `http://127.0.0.1:${await closedPort()}/api`;
    const failure = await refusal({ DISCORD_TOKEN: "a.b.c", DISCORD_API_URL: apiUrl });
    expect(failure).toContain("exited with 1 before it was ready");
    expect(failure).toContain(`The Discord gateway could not start (DISCORD_TOKEN, DISCORD_API_URL ${apiUrl})`);
  });
});

describe("pnpm tally", { timeout: 120_000 }, () => {
  const { DATABASE_URL: _inherited, ...base } = process.env;
  const tally = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await promisify(execFile)(
        process.execPath,
        ["--import", "tsx", "api/src/cli/main.ts", ...args],
        { cwd: root, env: { ...base, TALLY_DATA_DIR: dataDir, DATABASE_URL: databaseUrl } },
      );
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it("answers help, --help per command and --version", async () => {
    const help = await tally("help");
    expect(help.code).toBe(0);
    for (const command of ["realm create", "key create", "currency create", "bind slack", "discord register"])
      expect(help.stdout).toContain(command);
    const one = await tally("key", "create", "--help");
    expect(one.code).toBe(0);
    expect(one.stdout).toContain("Usage: pnpm tally key create --realm <id>");
    expect(one.stdout).not.toContain("realm create");
    expect((await tally("help", "user", "create")).stdout).toContain("Usage: pnpm tally user create --realm <id>");
    const version = await tally("--version");
    expect(version.stdout.trim()).toBe(`tally ${(await import("../../../package.json")).default.version}`);
  });

  it("says a realm does not exist, never a query or a key hash, and creates nothing", async () => {
    const nope = await tally("key", "create", "--realm", "nope", "--json");
    expect(nope.code).toBe(1);
    expect(nope.stdout).toBe("");
    expect(nope.stderr).toContain('No realm "nope": it does not exist');
    expect(nope.stderr).not.toMatch(/insert|select|params|[0-9a-f]{64}/i);
    const keys = await tally("key", "list", "--realm", "default", "--json");
    expect(keys.stdout).not.toMatch(/[0-9a-f]{64}/);
    expect(keys.stdout).not.toContain("keyHash");
    const realms = JSON.parse((await tally("realm", "list", "--json")).stdout) as { id: string }[];
    expect(realms.map((r) => r.id)).not.toContain("nope");
  });
});
