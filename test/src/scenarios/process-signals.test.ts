import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openTestDatabase } from "@tally/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTallyProcess } from "../tally-process.ts";

let dataDir: string;
let databaseUrl: string | undefined;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "tally-signals-"));
  const t = await openTestDatabase();
  databaseUrl = t.url;
  await t.close();
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Every process below `pid`, from /proc (Linux). */
function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // pid (comm) state ppid …: comm may hold spaces, so read after the last ")".
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // exited while we looked
    }
  }
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of parents) {
      if (ppid === parent) {
        found.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
  } catch {
    return false;
  }
};

const portIsFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });

describe("pnpm start under a supervisor", { timeout: 240_000 }, () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`${signal} to the process \`pnpm start\` created stops everything and frees the port within 15 s`, async () => {
      const started = await startTallyProcess(
        "pnpm start",
        { TALLY_DATA_DIR: dataDir, DATABASE_URL: databaseUrl, TALLY_API_KEY: "tly_signals_key_0001" },
        /Tally is listening on http:\/\/127\.0\.0\.1:(\d+)[\s\S]*Doors open:/,
        120_000,
        { command: ["corepack", "pnpm", "start"] },
      );
      const port = Number(started.match[1]);
      const pnpm = started.child.pid as number;
      const below = descendants(pnpm);
      expect(below.length).toBeGreaterThan(0);
      // A request in flight when the signal arrives (its body half sent) still gets its answer.
      const body = JSON.stringify({ amount: 4 });
      const req = request({
        host: "127.0.0.1",
        port,
        method: "PATCH",
        path: "/api/v1/realms/default/credentials/balance?type=email&value=inflight@b.io",
        headers: {
          authorization: "Bearer tly_signals_key_0001",
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
        },
      });
      const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
        req.once("error", reject);
        req.once("response", (res) => {
          let text = "";
          res.on("data", (chunk) => {
            text += chunk;
          });
          res.once("end", () => resolve({ status: res.statusCode ?? 0, text }));
        });
      });
      req.write(body.slice(0, 5));
      await new Promise((r) => setTimeout(r, 500));
      const stoppedAt = Date.now();
      const exited = started.stop(signal);
      await expect.poll(() => started.output(), { timeout: 10_000 }).toContain(`${signal}: finishing in-flight`);
      req.end(body.slice(5));
      const { status, text } = await answered;
      expect(status, text).toBe(200);
      expect(JSON.parse(text)).toMatchObject({ balance: expect.any(Number) });
      const code = await exited;
      expect(code, started.output()).toBe(0);
      await expect.poll(() => below.filter(alive), { timeout: 15_000 - (Date.now() - stoppedAt) }).toEqual([]);
      expect(await portIsFree(port)).toBe(true);
      expect(Date.now() - stoppedAt).toBeLessThan(15_000);
    });
  }
});
