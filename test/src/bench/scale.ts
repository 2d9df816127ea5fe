import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { startPgBouncer } from "../setup/throwaway-pgbouncer.ts";
import { freePort, startThrowawayPostgres } from "../setup/throwaway-postgres.ts";
import { runWrk } from "./run-wrk.ts";

/**
 * `pnpm bench:scale`: what scaling out costs or buys. `PATCH credentials/balance` spread over 10,000 credentials at
 * 32 connections (wrk), against 1 or 3 API processes on one PostgreSQL, direct or through Debian's PgBouncer
 * (transaction mode), with prepared statements on or off, and with the per-key rate limit off, per process, or shared
 * through PostgreSQL. PostgreSQL runs with fsync off here, so the figures show the CPU each option costs rather than
 * the disk's flush time. Run under `flock /tmp/tally-bench.lock`.
 */
const DURATION = Number(process.env.BENCH_DURATION ?? 8);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const CONNECTIONS = 32;
const KEY = "tly_bench_key_0123456789";
const root = fileURLToPath(new URL("../../..", import.meta.url));

interface Config {
  name: string;
  processes: number;
  pgbouncer?: boolean;
  env: Record<string, string>;
}

const NO_LIMIT = { TALLY_RATE_LIMIT: "0" };
const CONFIGS: Config[] = [
  { name: "1 process, direct, prepared", processes: 1, env: NO_LIMIT },
  { name: "1 process, direct, DATABASE_PREPARE=false", processes: 1, env: { ...NO_LIMIT, DATABASE_PREPARE: "false" } },
  {
    name: "1 process, PgBouncer, DATABASE_PREPARE=false",
    processes: 1,
    pgbouncer: true,
    env: { ...NO_LIMIT, DATABASE_PREPARE: "false" },
  },
  { name: "3 processes, direct, prepared", processes: 3, env: NO_LIMIT },
  {
    name: "3 processes, PgBouncer, DATABASE_PREPARE=false",
    processes: 3,
    pgbouncer: true,
    env: { ...NO_LIMIT, DATABASE_PREPARE: "false" },
  },
  {
    name: "1 process, direct, prepared, rate limit 60000/min shared through PostgreSQL",
    processes: 1,
    env: { TALLY_RATE_LIMIT: "60000" },
  },
  {
    name: "3 processes, direct, prepared, rate limit 60000/min shared through PostgreSQL",
    processes: 3,
    env: { TALLY_RATE_LIMIT: "60000" },
  },
  ...(process.env.BENCH_SCALE_EXTRA ? (JSON.parse(process.env.BENCH_SCALE_EXTRA) as Config[]) : []),
];

async function main(): Promise<void> {
  const only = process.env.BENCH_SCALE_ONLY;
  const cluster = await startThrowawayPostgres({ max_connections: "300" });
  const bouncer = await startPgBouncer(cluster.url, 30);
  try {
    console.log(`PgBouncer: ${bouncer.version}; ${DURATION} s per run after ${WARMUP} s, ${CONNECTIONS} connections`);
    for (const [n, config] of CONFIGS.filter((c) => !only || c.name.includes(only)).entries()) {
      // A database per run: PgBouncer keeps its server connections to the last one open.
      const admin = postgres(cluster.url, { max: 1, onnotice: () => {} });
      await admin.unsafe(`CREATE DATABASE tally_scale_${n}`);
      await admin.end();
      const direct = new URL(cluster.url);
      direct.pathname = `/tally_scale_${n}`;
      const url = config.pgbouncer ? bouncer.through(direct.toString()) : direct.toString();
      // The first process migrates and bootstraps alone; the others find it done.
      const servers: Server[] = [];
      try {
        for (let i = 0; i < config.processes; i++) {
          servers.push(await startServer({ DATABASE_URL: url, TALLY_API_KEY: KEY, LOG_LEVEL: "warn", ...config.env }));
        }
        await drive(servers, WARMUP);
        const result = await drive(servers, DURATION);
        console.log(
          `| ${config.name} | ${result.rps.toFixed(0)} | ${result.p50.toFixed(1)} | ${result.p99.toFixed(1)} | ${result.errors} | ${result.non2xx} |`,
        );
      } finally {
        for (const server of servers) server.process.kill("SIGTERM");
        await Promise.all(servers.map((s) => new Promise((r) => s.process.once("exit", r))));
      }
    }
  } finally {
    await bouncer.stop();
    cluster.stop();
  }
}

interface Server {
  base: string;
  process: ChildProcess;
}

async function startServer(env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", join(root, "api/src/main.ts")], {
    cwd: root,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) throw new Error(`Tally exited with ${child.exitCode}`);
    try {
      await fetch(`${base}/healthz`);
      return { base, process: child };
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error("Tally did not answer in 60 s");
}

interface Result {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** wrk against every server at once, the connections split evenly; request rates add up, latencies are the worst. */
async function drive(servers: Server[], seconds: number): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), "tally-scale-wrk-"));
  try {
    const script = join(dir, "script.lua");
    writeFileSync(
      script,
      `wrk.method = "PATCH"
wrk.body = '{"amount":1}'
wrk.headers["authorization"] = "Bearer ${KEY}"
wrk.headers["content-type"] = "application/json"
local threads = 0
local non2xx = 0
function setup(thread) thread:set("seed", threads); threads = threads + 1 end
function init(args) math.randomseed(os.time() + (seed or 0) * 7919) end
function request()
  return wrk.format(nil, "/api/v1/realms/default/credentials/balance?type=discord-id&value=" .. string.format("1%017d", math.random(1, 10000)))
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK_RESULT %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout, e.status, latency:percentile(50), latency:percentile(99)))
end
`,
    );
    const each = Math.max(1, Math.floor(CONNECTIONS / servers.length));
    const outputs = await Promise.all(
      servers.map((server) =>
        runWrk(["-t", "1", "-c", String(each), "-d", `${seconds}s`, "--timeout", "10s", "-s", script, server.base]),
      ),
    );
    const results = outputs.map((output) => {
      const match = /WRK_RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)/.exec(output);
      if (!match) throw new Error(`wrk gave no result:\n${output}`);
      const [, requests, micros, errors, status, p50, p99] = match.map(Number) as number[];
      return {
        rps: (requests as number) / ((micros as number) / 1e6),
        p50: (p50 as number) / 1000,
        p99: (p99 as number) / 1000,
        errors: errors as number,
        non2xx: status as number,
      };
    });
    return {
      rps: results.reduce((sum, r) => sum + r.rps, 0),
      p50: Math.max(...results.map((r) => r.p50)),
      p99: Math.max(...results.map((r) => r.p99)),
      errors: results.reduce((sum, r) => sum + r.errors, 0),
      non2xx: results.reduce((sum, r) => sum + r.non2xx, 0),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
