import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { openTestDatabase } from "@tally/db/testing";
import autocannon from "autocannon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { startTallyProcess } from "../tally-process.ts";

const MB = 1024 * 1024;
const root = fileURLToPath(new URL("../../..", import.meta.url));
const run = promisify(execFile);
let app: string;
let databaseUrl: string | undefined;

/** Resident set size of a process, from /proc (Linux). */
function rssOf(pid: number): number {
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]) * 1024;
}

/** The workspace's package folders, from pnpm-workspace.yaml (`bots/*` expanded). */
function workspacePackages(): string[] {
  const { packages } = parse(readFileSync(join(root, "pnpm-workspace.yaml"), "utf8")) as { packages: string[] };
  return packages.flatMap((pattern) =>
    pattern.endsWith("/*")
      ? readdirSync(join(root, pattern.slice(0, -2))).map((name) => `${pattern.slice(0, -2)}/${name}`)
      : [pattern],
  );
}

beforeAll(async () => {
  // What the Dockerfile does: build with every dependency, then an app folder with the bundle and only the root
  // package's production dependencies (`pnpm install --prod`), no tsx, no TypeScript, no source.
  app = mkdtempSync(join(tmpdir(), "tally-prod-"));
  await run(process.execPath, ["scripts/build.mjs", join(app, "dist")], { cwd: root });
  // The install reads the lockfile, the workspace (and its patchedDependencies) and every package's manifest.
  for (const file of ["package.json", "pnpm-lock.yaml", "pnpm-workspace.yaml", "patches"]) {
    if (existsSync(join(root, file))) cpSync(join(root, file), join(app, file), { recursive: true });
  }
  for (const folder of workspacePackages()) {
    if (!existsSync(join(root, folder, "package.json"))) continue;
    mkdirSync(join(app, folder), { recursive: true });
    cpSync(join(root, folder, "package.json"), join(app, folder, "package.json"));
  }
  await run("corepack", ["pnpm", "install", "--prod", "--frozen-lockfile", "--prefer-offline", "--filter", "tally"], {
    cwd: app,
    env: { ...process.env, COREPACK_ENABLE_DOWNLOAD_PROMPT: "0" },
  });
  const t = await openTestDatabase();
  databaseUrl = t.url;
  await t.close();
}, 300_000);
afterAll(() => rmSync(app, { recursive: true, force: true }));

describe("the production build", { timeout: 240_000 }, () => {
  it("runs as one node process with production dependencies only: the container's start command", async () => {
    const installed = readdirSync(join(app, "node_modules"));
    for (const dev of ["tsx", "typescript", "vitest", "esbuild", "@biomejs"]) expect(installed).not.toContain(dev);
    expect(existsSync(join(app, "dist", "migrations"))).toBe(true);

    const server = await startTallyProcess(
      join(app, "dist", "main.js"),
      // The Dockerfile's settings; a relative data folder lands in the app folder, wherever node was started.
      { HOST: "0.0.0.0", TALLY_DATA_DIR: "data", DATABASE_URL: databaseUrl, TALLY_API_KEY: "tly_production_key_01" },
      /Tally is listening on (http:\/\/\S+) [\s\S]*Doors open:/,
      120_000,
      { cwd: join(app, "dist") },
    );
    const url = server.match[1];
    try {
      // HOST=0.0.0.0: the socket listens on every interface (0.0.0.0:port in the kernel's table, LISTEN state).
      const port = Number(new URL(url as string).port)
        .toString(16)
        .toUpperCase()
        .padStart(4, "0");
      expect(readFileSync("/proc/net/tcp", "utf8")).toMatch(
        new RegExp(`^\\s*\\d+: 00000000:${port} 00000000:0000 0A`, "m"),
      );
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      expect((await fetch(`${url}/docs/`)).status).toBe(200);
      const res = await fetch(`${url}/api/v1/realms/default/credentials/balance?type=email&value=p@b.io`, {
        method: "PATCH",
        headers: { authorization: "Bearer tly_production_key_01", "content-type": "application/json" },
        body: JSON.stringify({ amount: 6 }),
      });
      expect(res.status).toBe(200);
      if (!databaseUrl) expect(existsSync(join(app, "data", "PG_VERSION"))).toBe(true);
    } finally {
      expect(await server.stop("SIGTERM")).toBe(0);
    }
    // The CLI bundle too, on the same database once the server is gone.
    const version = await run(process.execPath, [join(app, "dist", "tally.js"), "--version"]);
    expect(version.stdout.trim()).toMatch(/^tally \d+\.\d+\.\d+$/);
    const realms = await run(process.execPath, [join(app, "dist", "tally.js"), "realm", "list", "--json"], {
      env: { ...process.env, TALLY_DATA_DIR: "data", DATABASE_URL: databaseUrl ?? "" },
    });
    expect(JSON.parse(realms.stdout)).toEqual([expect.objectContaining({ id: "default" })]);
  });

  it("holds its memory: under 200 MB RSS on PostgreSQL after 10,000 requests (PGlite: measured over 1,000)", async () => {
    const key = "tly_production_memory";
    const server = await startTallyProcess(
      join(app, "dist", "main.js"),
      { TALLY_DATA_DIR: "data", DATABASE_URL: databaseUrl, TALLY_API_KEY: key, TALLY_RATE_LIMIT: "0" },
      /Tally is listening on (http:\/\/\S+) [\s\S]*Doors open:/,
      120_000,
      { cwd: app },
    );
    try {
      const pid = server.child.pid as number;
      const idle = rssOf(pid);
      let n = 0;
      // PGlite runs one statement at a time inside this process: 10,000 requests would take minutes there.
      const amount = databaseUrl ? 10_000 : 1_000;
      const result = await autocannon({
        url: server.match[1] as string,
        connections: 16,
        amount,
        requests: [
          {
            method: "PATCH",
            headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
            body: JSON.stringify({ amount: 1 }),
            // Spread over 1,000 credentials, as real traffic is.
            setupRequest: (request) => ({
              ...request,
              path: `/api/v1/realms/default/credentials/balance?type=custom&source=mem&value=c${n++ % 1000}`,
            }),
          },
        ],
      });
      expect(result["2xx"]).toBe(amount);
      const after = rssOf(pid);
      const driver = databaseUrl ? "PostgreSQL" : "PGlite";
      console.info(
        `RSS on ${driver}: ${Math.round(idle / MB)} MB idle, ${Math.round(after / MB)} MB after 10k requests`,
      );
      // PGlite is the database itself, inside this process: its pages and WebAssembly heap count here too.
      expect(after).toBeLessThan((databaseUrl ? 200 : 600) * MB);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
