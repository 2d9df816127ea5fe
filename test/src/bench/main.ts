import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { deltaStatementForBench } from "@tally/core/bench";
import { openDatabase } from "@tally/db";
import autocannon from "autocannon";
import postgres from "postgres";
import { freePort, startThrowawayPostgres } from "../setup/throwaway-postgres.ts";
import { runWrk } from "./run-wrk.ts";

/**
 * `pnpm bench [--fast]`: Tally (its own process, as in production) on PostgreSQL, the bare stack (Fastify +
 * postgres.js sending Tally's single-request statement, `bare-server.ts`) and pgbench running that statement at
 * 10, 32 and 128 clients, per scenario, in one run. Durable settings unless `--fast`. wrk drives HTTP when installed
 * (Debian: `apt-get install wrk`), autocannon otherwise. CPU seconds come from /proc. Results go to bench/results.md.
 */
const FAST = process.argv.includes("--fast");
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
/**
 * Runs per figure; the table shows the run with the median req/s, and the range of all. Two runs of the same code on
 * this shared machine differ by up to 50%, so one run per figure says more about the machine's minute than the code.
 * The systems take turns (Tally, bare, Tally, bare, …; pgbench 10, 32, 128, 10, …), so a slow minute hits each alike.
 */
const REPEATS = Math.max(1, Number(process.env.BENCH_REPEATS ?? 3));
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const CREDENTIALS = 10_000;
/** BENCH_ONLY=<text> runs only the scenarios whose name contains it (profiling one path). */
const ONLY = process.env.BENCH_ONLY;
const PGBENCH_CLIENTS = [10, 32, 128];
const KEY = "tly_bench_key_0123456789";
const FIRST_SNOWFLAKE = 100_000_000_000_000_000n;
const root = fileURLToPath(new URL("../../..", import.meta.url));
const TICK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim() || 100);
const WRK = spawnSync("wrk", ["--version"], { encoding: "utf8" }).error === undefined;

const DURABLE = { fsync: "on", synchronous_commit: "on", full_page_writes: "on" };
const FAST_SETTINGS = { fsync: "off", synchronous_commit: "off", full_page_writes: "off" };

interface Scenario {
  name: string;
  method: "PATCH" | "PUT";
  body: string;
  /** Requests spread over the 10k credentials, or one fixed path. */
  spread: boolean;
  path: string;
  connections: number[];
  pgbench: "spread" | "hot" | "credits";
}

const SCENARIOS: Scenario[] = [
  {
    name: "PATCH credentials/balance, 10k credentials",
    method: "PATCH",
    body: JSON.stringify({ amount: 1 }),
    spread: true,
    path: "/api/v1/realms/default/credentials/balance?type=discord-id&value=",
    connections: [32],
    pgbench: "spread",
  },
  {
    name: "PATCH credentials/balance, one hot credential",
    method: "PATCH",
    body: JSON.stringify({ amount: 1 }),
    spread: false,
    path: `/api/v1/realms/default/credentials/balance?type=discord-id&value=${FIRST_SNOWFLAKE + 1n}`,
    connections: [32, 64, 128],
    pgbench: "hot",
  },
  {
    name: "PUT /users/{id}/credits",
    method: "PUT",
    body: JSON.stringify({ credit_delta: 1 }),
    spread: false,
    path: "/users/bench-user/credits",
    connections: [32],
    pgbench: "credits",
  },
];

interface Row {
  scenario: string;
  system: string;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  cpuServer: number | undefined;
  cpuPostgres: number | undefined;
  cpuLoad: number;
  /** The lowest and highest req/s of the repeated runs. */
  rpsMin?: number;
  rpsMax?: number;
}

async function main(): Promise<void> {
  const cluster = process.env.DATABASE_URL
    ? undefined
    : await startThrowawayPostgres({ max_connections: "300", ...(FAST ? FAST_SETTINGS : DURABLE) });
  const adminUrl = process.env.DATABASE_URL ?? cluster?.url ?? "";
  const servers: ChildProcess[] = [];
  try {
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe("DROP DATABASE IF EXISTS tally_bench");
    await admin.unsafe("CREATE DATABASE tally_bench");
    await admin.end();
    const url = new URL(adminUrl);
    url.pathname = "/tally_bench";
    const dbUrl = url.toString();
    const { currencyId } = await seed(dbUrl);
    const probe = postgres(dbUrl, { max: 1, onnotice: () => {} });
    const settings = await probe`SELECT name, setting FROM pg_settings WHERE name IN
      ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method', 'shared_buffers', 'max_connections',
       'server_version') ORDER BY name`;
    const [backend] = await probe`SELECT pg_backend_pid() AS pid`;
    const postmaster = parentOf(Number(backend?.pid));
    await probe.end();
    if (!WRK) {
      console.log("wrk not found (Debian: apt-get install -y wrk): driving HTTP with autocannon in this process.");
    }

    const tally = await startServer("Tally", [join(root, "api/src/main.ts")], {
      DATABASE_URL: dbUrl,
      TALLY_API_KEY: KEY,
      LOG_LEVEL: "warn",
      TALLY_RATE_LIMIT: "0",
    });
    servers.push(tally.process);
    const bare = await startServer("bare", [join(root, "test/src/bench/bare-server.ts")], {
      DATABASE_URL: dbUrl,
      BENCH_CURRENCY_ID: currencyId,
    });
    servers.push(bare.process);

    const rows: Row[] = [];
    for (const scenario of SCENARIOS.filter((s) => !ONLY || s.name.includes(ONLY))) {
      for (const connections of scenario.connections) {
        const servers = [tally, bare];
        for (const server of servers) await load(scenario, server, connections, WARMUP);
        const runs = await repeated(servers.length, (n) =>
          drive(scenario, servers[n] as Server, connections, postmaster),
        );
        for (const row of runs.map(median)) {
          rows.push(row);
          console.log(line(row));
        }
      }
      const statement = deltaStatementForBench({
        currencyId,
        hot: scenario.pgbench === "hot",
        user: scenario.pgbench === "credits" ? "bench-user" : undefined,
      });
      const runs = await repeated(PGBENCH_CLIENTS.length, async (n) =>
        pgbench(dbUrl, statement, scenario.name, PGBENCH_CLIENTS[n] as number, postmaster),
      );
      for (const row of runs.map(median)) {
        rows.push(row);
        console.log(line(row));
      }
    }
    const rss = { tally: rssOf(tally.process.pid), bare: rssOf(bare.process.pid) };
    if (ONLY) {
      for (const row of rows) console.log(`${row.system}: ${perRequest(row)?.toFixed(0)} µs CPU/req`);
      return;
    }
    const report = render(rows, settings as unknown as { name: string; setting: string }[], rss);
    writeFileSync(join(root, "bench/results.md"), report);
    console.log(`\n${report}`);
  } finally {
    for (const server of servers) server.kill("SIGTERM");
    cluster?.stop();
  }
}

const perRequest = (r: Row | undefined) =>
  r?.cpuServer === undefined ? undefined : (r.cpuServer / (r.rps * DURATION)) * 1e6;

const line = (r: Row) =>
  `${r.scenario} | ${r.system} @${r.connections}: ${r.rps.toFixed(0)} req/s (${f(r.rpsMin, 0)}–${f(r.rpsMax, 0)}), ` +
  `p50 ${r.p50.toFixed(1)} ms, ` +
  `p99 ${r.p99.toFixed(1)} ms, errors ${r.errors}`;

async function seed(url: string): Promise<{ currencyId: string }> {
  const database = await openDatabase({ url, maxConnections: 2 });
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const { createBalanceService } = await import("@tally/core");
    const core = createBalanceService(database.db);
    await core.ensureBootstrap({ apiKey: KEY });
    const ctx = { realmId: "default", initiator: { type: "cli", id: "bench" }, via: "cli" } as const;
    await core.createUser(ctx, { userId: "bench-user" });
    const currency = await core.currency("default");
    // Ghost accounts and credentials in bulk, as if 10,000 members had been rewarded before, each with a balance.
    await sql.unsafe(`
      INSERT INTO accounts (id, realm_id, kind) SELECT 'bench' || n, 'default', 'ghost' FROM generate_series(1, ${CREDENTIALS}) n;
      INSERT INTO credentials (id, realm_id, type, source, value, account_id)
        SELECT 'benchc' || n, 'default', 'discord-id', '', (${FIRST_SNOWFLAKE} + n)::text, 'bench' || n
        FROM generate_series(1, ${CREDENTIALS}) n;
      INSERT INTO balances (account_id, currency_id, realm_id, balance)
        SELECT id, '${currency.id}', 'default', 0 FROM accounts;`);
    await sql.unsafe("VACUUM ANALYZE");
    return { currencyId: currency.id };
  } finally {
    await sql.end();
    await database.close();
  }
}

interface Server {
  name: string;
  base: string;
  process: ChildProcess;
}

async function startServer(name: string, args: string[], env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  // BENCH_PROFILE=<folder> writes a V8 CPU profile of each server there.
  const profile = process.env.BENCH_PROFILE ? ["--cpu-prof", "--cpu-prof-dir", process.env.BENCH_PROFILE] : [];
  const child = spawn(process.execPath, [...profile, "--import", "tsx", ...args], {
    cwd: root,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 120; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    try {
      await fetch(`${base}/healthz`);
      return { name, base, process: child };
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${name} did not answer in 30 s`);
}

/** REPEATS rounds of `systems` measurements taken in turn; the runs of each system, in order. */
async function repeated(systems: number, measure: (system: number) => Promise<Row>): Promise<Row[][]> {
  const runs: Row[][] = Array.from({ length: systems }, () => []);
  for (let round = 0; round < REPEATS; round++) {
    for (let n = 0; n < systems; n++) (runs[n] as Row[]).push(await measure(n));
  }
  return runs;
}

/** The run with the median req/s (of an even count, the lower middle), carrying the range of all runs. */
function median(runs: Row[]): Row {
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  const middle = sorted[Math.floor((sorted.length - 1) / 2)] as Row;
  return { ...middle, rpsMin: sorted[0]?.rps, rpsMax: sorted[sorted.length - 1]?.rps };
}

/** One measured run; the caller warms the server up first. */
async function drive(scenario: Scenario, server: Server, connections: number, postmaster: number): Promise<Row> {
  const before = sample(server.process.pid, postmaster);
  const result = await load(scenario, server, connections, DURATION);
  const after = sample(server.process.pid, postmaster);
  return {
    scenario: scenario.name,
    system: server.name,
    connections,
    ...result,
    cpuServer: delta(before.server, after.server),
    cpuPostgres: delta(before.postgres, after.postgres),
    cpuLoad: WRK ? after.children - before.children : after.self - before.self,
  };
}

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(scenario: Scenario, server: Server, connections: number, seconds: number): Promise<LoadResult> {
  const headers = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
  if (!WRK) {
    const result = await autocannon({
      url: server.base,
      connections,
      duration: seconds,
      requests: [
        {
          method: scenario.method,
          headers,
          body: scenario.body,
          setupRequest: (request) => ({
            ...request,
            path: scenario.spread
              ? `${scenario.path}${FIRST_SNOWFLAKE + BigInt(1 + Math.floor(Math.random() * CREDENTIALS))}`
              : scenario.path,
          }),
        },
      ],
    });
    return {
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      errors: result.errors + result.non2xx,
    };
  }
  const dir = mkdtempSync(join(tmpdir(), "tally-wrk-"));
  try {
    const script = join(dir, "script.lua");
    // Credential values are 1 followed by 17 digits: past 2^53, so built as text, never as a Lua number.
    writeFileSync(
      script,
      `wrk.method = "${scenario.method}"
wrk.body = '${scenario.body}'
wrk.headers["authorization"] = "${headers.authorization}"
wrk.headers["content-type"] = "application/json"
local threads = 0
function setup(thread) thread:set("seed", threads); threads = threads + 1 end
function init(args) math.randomseed(os.time() + (seed or 0) * 7919) end
function request()
  ${scenario.spread ? `return wrk.format(nil, "${scenario.path}" .. string.format("1%017d", math.random(1, ${CREDENTIALS})))` : `return wrk.format(nil, "${scenario.path}")`}
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK_RESULT %d %d %d %d %d\\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout, latency:percentile(50), latency:percentile(99)))
end
`,
    );
    const output = await runWrk([
      "-t",
      "2",
      "-c",
      String(connections),
      "-d",
      `${seconds}s`,
      "--timeout",
      "10s",
      "-s",
      script,
      server.base,
    ]);
    const match = /WRK_RESULT (\d+) (\d+) (\d+) (\d+) (\d+)/.exec(output);
    if (!match) throw new Error(`wrk gave no result:\n${output}`);
    const [, requests, micros, errors, p50, p99] = match.map(Number) as number[];
    return {
      rps: (requests as number) / ((micros as number) / 1e6),
      p50: (p50 as number) / 1000,
      p99: (p99 as number) / 1000,
      errors: errors as number,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function pgbench(url: string, statement: string, scenario: string, clients: number, postmaster: number): Row {
  const dir = mkdtempSync(join(tmpdir(), "tally-pgbench-"));
  try {
    const script = join(dir, "script.sql");
    writeFileSync(script, `\\set n random(1, ${CREDENTIALS})\n${statement};\n`);
    const u = new URL(url);
    const before = sample(undefined, postmaster);
    const output = execFileSync(
      "pgbench",
      [
        ...["-h", u.hostname, "-p", u.port, "-U", u.username || "postgres", "-n", "-M", "prepared"],
        ...["-c", String(clients), "-j", "2", "-T", String(DURATION), "-f", script, "-l", "--log-prefix"],
        ...[join(dir, "log"), u.pathname.slice(1)],
      ],
      { encoding: "utf8", cwd: dir },
    );
    const after = sample(undefined, postmaster);
    // No tps line: no transaction finished in time (128 connections can take seconds to open on a busy machine).
    const tps = Number(/tps = ([\d.]+)/.exec(output)?.[1] ?? 0);
    const latencies = readdirSync(dir)
      .filter((f) => f.startsWith("log"))
      .flatMap((f) =>
        readFileSync(join(dir, f), "utf8")
          .trim()
          .split("\n")
          .map((l) => Number(l.split(" ")[2]) / 1000),
      )
      .sort((a, b) => a - b);
    const pct = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? Number.NaN;
    return {
      scenario,
      system: `pgbench ${clients} clients`,
      connections: clients,
      rps: tps,
      p50: pct(0.5),
      p99: pct(0.99),
      errors: Number(/number of failed transactions: (\d+)/.exec(output)?.[1] ?? 0),
      cpuServer: undefined,
      cpuPostgres: delta(before.postgres, after.postgres),
      cpuLoad: after.children - before.children,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** CPU seconds: of a process (user + system), of the PostgreSQL cluster, of this process and its reaped children. */
function sample(pid: number | undefined, postmaster: number) {
  const self = stat("self");
  return {
    server: pid === undefined ? undefined : cpuOf(stat(String(pid))),
    postgres: postgresCpu(postmaster),
    self: self ? ((self[13] ?? 0) + (self[14] ?? 0)) / TICK : 0,
    children: self ? ((self[15] ?? 0) + (self[16] ?? 0)) / TICK : 0,
  };
}

const delta = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? undefined : b - a;

/** /proc/<pid>/stat fields after the command name, as numbers (index 13 = utime, 14 = stime, 15/16 = children's). */
function stat(pid: string): number[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return ["", "", ...rest].map(Number);
  } catch {
    return undefined;
  }
}

const cpuOf = (fields: number[] | undefined) => (fields ? ((fields[13] ?? 0) + (fields[14] ?? 0)) / TICK : undefined);

/**
 * The postmaster (with the CPU of its exited children) plus every live backend and auxiliary process. Read again
 * until no backend was reaped during the scan: one reaped after the postmaster's figures were read and before the
 * scan reached it counted nowhere, and pgbench's backends exit just as its run ends (a 10-client run read 0.2 s).
 */
function postgresCpu(postmaster: number): number | undefined {
  if (!postmaster) return undefined;
  for (;;) {
    const main = stat(String(postmaster));
    if (!main) return undefined;
    const reaped = (main[15] ?? 0) + (main[16] ?? 0);
    let ticks = (main[13] ?? 0) + (main[14] ?? 0) + reaped;
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      const fields = stat(entry);
      if (fields && fields[3] === postmaster) ticks += (fields[13] ?? 0) + (fields[14] ?? 0);
    }
    const again = stat(String(postmaster));
    if (again && (again[15] ?? 0) + (again[16] ?? 0) === reaped) return ticks / TICK;
  }
}

function parentOf(pid: number): number {
  return stat(String(pid))?.[3] ?? 0;
}

function rssOf(pid: number | undefined): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb ? Number(kb) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

function gitRevision(): string {
  try {
    const rev = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], {
      cwd: root,
      encoding: "utf8",
    }).trim();
    return dirty ? `${rev} (with uncommitted changes)` : rev;
  } catch {
    return "unknown";
  }
}

const f = (n: number | undefined, digits = 1) => (n === undefined || Number.isNaN(n) ? "–" : n.toFixed(digits));

function render(
  rows: Row[],
  settings: { name: string; setting: string }[],
  rss: { tally: number | undefined; bare: number | undefined },
): string {
  const setting = (name: string) => settings.find((s) => s.name === name)?.setting ?? "?";
  const find = (scenario: string, system: string, connections?: number) =>
    rows.find((r) => r.scenario === scenario && r.system === system && (!connections || r.connections === connections));
  const pg = (scenario: string, clients: number) => find(scenario, `pgbench ${clients} clients`);
  const ratio = (a: Row | undefined, b: Row | undefined) =>
    a && b && b.rps > 0 ? `${(a.rps / b.rps).toFixed(2)}x` : "–";

  const out = [
    `# pnpm bench${FAST ? " --fast" : ""} — ${new Date().toISOString()}`,
    "",
    `Git revision ${gitRevision()}. Machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ` +
      `${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}, Node ${process.version}, shared with other work ` +
      "(the figures move with the machine's load).",
    "",
    `PostgreSQL ${setting("server_version")}: fsync=${setting("fsync")}, synchronous_commit=${setting("synchronous_commit")}, ` +
      `full_page_writes=${setting("full_page_writes")}, wal_sync_method=${setting("wal_sync_method")}, ` +
      `shared_buffers=${setting("shared_buffers")} (8 kB pages), max_connections=${setting("max_connections")}` +
      `${FAST ? " (`--fast`: not durable)" : " (durable)"}.`,
    "",
    `${REPEATS} runs of ${DURATION} s per figure, the systems taking turns; each row is the run with the median req/s, ` +
      "with the range of all runs beside it. " +
      `A ${WARMUP} s warm-up per server and connection count; HTTP driven by ${WRK ? "wrk (2 threads)" : "autocannon (in process)"}. ` +
      "Tally is `api/src/main.ts` in its own process (postgres.js pool 10, group-commit writer on); " +
      "bare is `test/src/bench/bare-server.ts` (Fastify + postgres.js, pool 32, the same statement Tally sends for a " +
      "lone request, no auth, no batching); pgbench runs that statement (prepared), one transaction per statement. " +
      "CPU seconds over the measured run, from /proc: the server process, the whole PostgreSQL cluster, the load generator.",
    "",
    "| scenario | system | conns | req/s | range req/s | p50 ms | p99 ms | errors | CPU s server | CPU s PostgreSQL | CPU s load | server µs CPU/req |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.scenario} | ${r.system} | ${r.connections} | ${f(r.rps, 0)} | ${f(r.rpsMin, 0)}–${f(r.rpsMax, 0)} | ` +
        `${f(r.p50)} | ${f(r.p99)} | ${r.errors} | ` +
        `${f(r.cpuServer)} | ${f(r.cpuPostgres)} | ${f(r.cpuLoad)} | ${f(perRequest(r), 0)} |`,
    ),
    "",
    "## Ratios (Tally req/s against each, same run)",
    "",
    "| scenario | conns | Tally req/s | vs bare | vs pgbench 10 | vs pgbench 32 | vs pgbench 128 | vs best pgbench |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const scenario of SCENARIOS) {
    const best = PGBENCH_CLIENTS.map((c) => pg(scenario.name, c)).reduce<Row | undefined>(
      (a, b) => (b && b.rps > 0 && (!a || b.rps > a.rps) ? b : a),
      undefined,
    );
    for (const connections of scenario.connections) {
      const tally = find(scenario.name, "Tally", connections);
      out.push(
        `| ${scenario.name} | ${connections} | ${f(tally?.rps, 0)} | ${ratio(tally, find(scenario.name, "bare", connections))} | ` +
          `${PGBENCH_CLIENTS.map((c) => ratio(tally, pg(scenario.name, c))).join(" | ")} | ${ratio(tally, best)} |`,
      );
    }
  }
  const [spread, hot] = SCENARIOS as [Scenario, Scenario];
  const spreadTally = find(spread.name, "Tally", 32);
  const spreadBare = find(spread.name, "bare", 32);
  const hotBest = Math.max(...PGBENCH_CLIENTS.map((c) => pg(hot.name, c)?.rps || 0));
  const hot128 = find(hot.name, "Tally", 128);
  const cpuRatio = (perRequest(spreadTally) ?? Number.NaN) / (perRequest(spreadBare) ?? Number.NaN);
  const mark = (ok: boolean) => (ok ? "met" : "**missed**");
  const spreadRatio = (spreadTally?.rps ?? 0) / (pg(spread.name, 32)?.rps ?? Number.NaN);
  out.push(
    "",
    "## Targets",
    "",
    `- Spread, 32 connections, >= 0.6x pgbench at 32 clients: ${spreadRatio.toFixed(2)}x — ${mark(spreadRatio >= 0.6)}.`,
    ...hot.connections.map((c) => {
      const r = find(hot.name, "Tally", c);
      const x = (r?.rps ?? 0) / hotBest;
      return `- Hot credential at ${c} connections, >= 4x the best pgbench (${hotBest.toFixed(0)} tps): ${x.toFixed(2)}x — ${mark(x >= 4)}.`;
    }),
    `- Hot credential p99 at 128 connections < 25 ms: ${f(hot128?.p99)} ms — ${mark((hot128?.p99 ?? Number.POSITIVE_INFINITY) < 25)}.`,
    `- Server CPU per request on spread <= 1.3x the bare stack's: ${f(perRequest(spreadTally), 0)} µs vs ` +
      `${f(perRequest(spreadBare), 0)} µs = ${cpuRatio.toFixed(2)}x — ${mark(cpuRatio <= 1.3)}.`,
    "",
    `RSS after the run: Tally ${f(rss.tally, 0)} MiB, bare ${f(rss.bare, 0)} MiB.`,
    "",
  );
  return out.join("\n");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
