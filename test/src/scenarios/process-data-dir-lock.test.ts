import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { openTestDatabase } from "@tally/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApiProcess } from "../tally-process.ts";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const API_KEY = "tly_process_lock_key";
let dataDir: string;
let databaseUrl: string | undefined;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "tally-lock-"));
  const t = await openTestDatabase();
  databaseUrl = t.url;
  await t.close();
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const env = () => ({ TALLY_DATA_DIR: dataDir, DATABASE_URL: databaseUrl, TALLY_API_KEY: API_KEY });

/** The admin CLI as a child process: exit code and what it printed. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { DATABASE_URL: _inherited, ...base } = process.env;
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "api/src/cli/main.ts", ...args],
      { cwd: root, env: { ...base, ...env() } },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const credit = (url: string, value: string, amount: number) =>
  fetch(`${url}/api/v1/realms/default/credentials/balance?type=custom&source=lock&value=${value}`, {
    method: "PATCH",
    headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ amount }),
  });

// Each test starts PGlite processes, several seconds apiece on a busy machine.
describe("one owner per embedded database folder", { timeout: 240_000 }, () => {
  it("refuses a second server and the CLI on a folder in use, changing nothing; the first keeps serving", async () => {
    const first = await startApiProcess(env());
    try {
      expect((await credit(first.url, "a", 5)).status).toBe(200);
      const second = await startApiProcess(env()).catch((error: Error) => error.message);
      const added = await cli("user", "create", "--realm", "default", "--user-id", "while-running");
      if (databaseUrl) {
        // PostgreSQL is made to be shared: a second server and the CLI work next to the first.
        expect(typeof second).not.toBe("string");
        if (typeof second !== "string") {
          expect((await credit(second.url, "a", 1)).status).toBe(200);
          expect(await second.stop()).toBe(0);
        }
        expect(added.code).toBe(0);
      } else {
        const refusal = `The embedded database in ${dataDir} is in use by process ${first.child.pid}: stop that process first, or set DATABASE_URL`;
        expect(second).toContain("exited with 1 before it was ready");
        expect(second).toContain(refusal);
        expect(added.code).toBe(1);
        expect(added.stderr.trim()).toBe(`tally: ${refusal} to share a PostgreSQL database between processes.`);
        expect(added.stdout).toBe("");
      }
      expect((await credit(first.url, "a", 2)).status).toBe(200);
    } finally {
      expect(await first.stop()).toBe(0);
    }
    const users = await cli("user", "list", "--realm", "default", "--json");
    expect(users.code).toBe(0);
    const ids = (JSON.parse(users.stdout) as { userId: string }[]).map((u) => u.userId);
    expect(ids.includes("while-running")).toBe(Boolean(databaseUrl));
  });

  it("starts again after its owner was killed with SIGKILL, with every acknowledged write", async () => {
    const victim = await startApiProcess(env());
    expect((await credit(victim.url, "b", 7)).status).toBe(200);
    expect(await victim.stop("SIGKILL")).toBeNull();
    const next = await startApiProcess(env());
    try {
      const found = await fetch(`${next.url}/api/v1/realms/default/credentials/find?type=custom&source=lock&value=b`, {
        headers: { authorization: `Bearer ${API_KEY}` },
      });
      expect(((await found.json()) as { balance: number }).balance).toBe(7);
    } finally {
      expect(await next.stop()).toBe(0);
    }
  });
});
