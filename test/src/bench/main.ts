import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { deltaStatementForBench } from "@tally/core/bench";
import { openDatabase } from "@tally/db";
import autocannon from "autocannon";
import postgres from "postgres";
import { freePort, startThrowawayPostgres } from "../setup/throwaway-postgres.ts";

/**
 * `pnpm bench`: the API on PostgreSQL against pgbench running the same SQL on the same database, in one run.
 * The API runs as its own process (as in production), autocannon drives it from this one.
 */
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const CREDENTIALS = 10_000;
const KEY = "tly_bench_key_0123456789";
const FIRST_SNOWFLAKE = 100_000_000_000_000_000n;
const root = fileURLToPath(new URL("../../..", import.meta.url));

interface Row {
  scenario: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function main(): Promise<void> {
  const cluster = process.env.DATABASE_URL ? undefined : await startThrowawayPostgres({ max_connections: "200" });
  const adminUrl = process.env.DATABASE_URL ?? cluster?.url ?? "";
  let api: ChildProcess | undefined;
  try {
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe("DROP DATABASE IF EXISTS tally_bench");
    await admin.unsafe("CREATE DATABASE tally_bench");
    await admin.end();
    const url = new URL(adminUrl);
    url.pathname = "/tally_bench";
    const dbUrl = url.toString();
    const { currencyId } = await seed(dbUrl);

    const port = await freePort();
    // BENCH_PROFILE=<folder> writes a V8 CPU profile of the API process there.
    const profile = process.env.BENCH_PROFILE ? ["--cpu-prof", "--cpu-prof-dir", process.env.BENCH_PROFILE] : [];
    api = spawn(process.execPath, [...profile, "--import", "tsx", join(root, "api/src/main.ts")], {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: dbUrl,
        PORT: String(port),
        TALLY_API_KEY: KEY,
        LOG_LEVEL: "warn",
        TALLY_RATE_LIMIT: "0",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    await waitForHealthy(`http://127.0.0.1:${port}/healthz`);
    const base = `http://127.0.0.1:${port}`;
    const headers = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
    const body = JSON.stringify({ amount: 1 });

    const rows: Row[] = [];
    const snowflake = (n: number) => (FIRST_SNOWFLAKE + BigInt(n)).toString();
    rows.push(
      await drive("PATCH credentials/balance, 10k credentials", base, {
        method: "PATCH",
        headers,
        body,
        path: () =>
          `/api/v1/realms/default/credentials/balance?type=discord-id&value=${snowflake(1 + Math.floor(Math.random() * CREDENTIALS))}`,
      }),
    );
    rows.push(
      await drive("PATCH credentials/balance, one hot credential", base, {
        method: "PATCH",
        headers,
        body,
        path: () => `/api/v1/realms/default/credentials/balance?type=discord-id&value=${snowflake(1)}`,
      }),
    );
    rows.push(
      await drive("PUT /users/{id}/credits", base, {
        method: "PUT",
        headers,
        body: JSON.stringify({ credit_delta: 1 }),
        path: () => `/users/bench-user/credits`,
      }),
    );

    const spread = pgbench(dbUrl, deltaStatementForBench({ currencyId, hot: false }), "spread");
    const hot = pgbench(dbUrl, deltaStatementForBench({ currencyId, hot: true }), "hot");
    const credits = pgbench(dbUrl, deltaStatementForBench({ currencyId, user: "bench-user" }), "credits");
    const baselines = [spread, hot, credits];

    const lines = [
      `# pnpm bench — ${new Date().toISOString()}`,
      "",
      `${CONNECTIONS} connections, ${DURATION} s per scenario, API and PostgreSQL ${await serverVersion(dbUrl)} on one ` +
        `${(await import("node:os")).cpus().length}-core machine. pgbench runs the same single SQL statement the API ` +
        "sends for each request (rendered from core's delta statement), prepared, same connection count.",
      "",
      "| scenario | req/s | p50 ms | p99 ms | errors | pgbench tps | pgbench p50 ms | pgbench p99 ms | ratio |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
      ...rows.map((r, i) => {
        const b = baselines[i] as Row;
        return `| ${r.scenario} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.errors} | ${b.rps.toFixed(0)} | ${b.p50.toFixed(1)} | ${b.p99.toFixed(1)} | ${(r.rps / b.rps).toFixed(2)}x |`;
      }),
      "",
    ];
    writeFileSync(join(root, "bench/results.md"), lines.join("\n"));
    console.log(lines.join("\n"));
  } finally {
    api?.kill("SIGTERM");
    cluster?.stop();
  }
}

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
    // Ghost accounts and credentials in bulk, as if 10,000 members had been rewarded before.
    await sql.unsafe(`
      INSERT INTO accounts (id, realm_id, kind) SELECT 'bench' || n, 'default', 'ghost' FROM generate_series(1, ${CREDENTIALS}) n;
      INSERT INTO credentials (id, realm_id, type, source, value, account_id)
        SELECT 'benchc' || n, 'default', 'discord-id', '', (${FIRST_SNOWFLAKE} + n)::text, 'bench' || n
        FROM generate_series(1, ${CREDENTIALS}) n;`);
    await sql.unsafe("VACUUM ANALYZE");
    return { currencyId: currency.id };
  } finally {
    await sql.end();
    await database.close();
  }
}

async function waitForHealthy(url: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error("the API did not become healthy in 30 s");
}

async function drive(
  scenario: string,
  base: string,
  spec: { method: "PATCH" | "PUT"; headers: Record<string, string>; body: string; path: () => string },
): Promise<Row> {
  // A short warm-up fills the pools and the JIT before measuring.
  await run(base, spec, Number(process.env.BENCH_WARMUP ?? 5));
  const result = await run(base, spec, DURATION);
  const errors = result.errors + result.non2xx;
  console.log(`${scenario}: ${result.requests.average.toFixed(0)} req/s, errors ${errors}`);
  return { scenario, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors };
}

function run(base: string, spec: Parameters<typeof drive>[2], duration: number): Promise<autocannon.Result> {
  return autocannon({
    url: base,
    connections: CONNECTIONS,
    duration,
    requests: [
      {
        method: spec.method,
        headers: spec.headers,
        body: spec.body,
        setupRequest: (request) => ({ ...request, path: spec.path() }),
      },
    ],
  });
}

function pgbench(url: string, statement: string, name: string): Row {
  const dir = mkdtempSync(join(tmpdir(), "tally-pgbench-"));
  try {
    const script = join(dir, `${name}.sql`);
    writeFileSync(script, `\\set n random(1, ${CREDENTIALS})\n${statement};\n`);
    const u = new URL(url);
    const output = execFileSync(
      "pgbench",
      [
        ...["-h", u.hostname, "-p", u.port, "-U", u.username || "postgres", "-n", "-M", "prepared"],
        ...[
          "-c",
          String(CONNECTIONS),
          "-j",
          "2",
          "-T",
          String(DURATION),
          "-f",
          script,
          "-l",
          "--log-prefix",
          join(dir, "log"),
        ],
        u.pathname.slice(1),
      ],
      { encoding: "utf8", cwd: dir },
    );
    const tps = Number(/tps = ([\d.]+)/.exec(output)?.[1] ?? Number.NaN);
    const latencies = readdirSync(dir)
      .filter((f) => f.startsWith("log"))
      .flatMap((f) =>
        readFileSync(join(dir, f), "utf8")
          .trim()
          .split("\n")
          .map((line) => Number(line.split(" ")[2]) / 1000),
      )
      .sort((a, b) => a - b);
    const pct = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? Number.NaN;
    const failed = Number(/number of failed transactions: (\d+)/.exec(output)?.[1] ?? 0);
    console.log(`pgbench ${name}: ${tps.toFixed(0)} tps`);
    return { scenario: `pgbench ${name}`, rps: tps, p50: pct(0.5), p99: pct(0.99), errors: failed };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function serverVersion(url: string): Promise<string> {
  const sql = postgres(url, { max: 1 });
  const [row] = await sql`show server_version`;
  await sql.end();
  return String(row?.server_version ?? "?").split(" ")[0] ?? "?";
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
