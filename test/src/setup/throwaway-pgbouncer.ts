import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "./throwaway-postgres.ts";

/** A PgBouncer in transaction pooling mode in front of a PostgreSQL, on a free loopback port. */
export interface ThrowawayPgBouncer {
  /** `postgresUrl` with its host and port replaced by PgBouncer's. */
  url: string;
  /** The same replacement for another URL on that server (another database). */
  through(url: string): string;
  version: string;
  stop(): Promise<void>;
}

function findPgBouncer(): string {
  const onPath = spawnSync("sh", ["-c", "command -v pgbouncer"], { encoding: "utf8" }).stdout.trim();
  if (onPath) return onPath;
  if (existsSync("/usr/sbin/pgbouncer")) return "/usr/sbin/pgbouncer";
  throw new Error(
    "pgbouncer not found: apt-get install pgbouncer (.ci/run does), or run without the pgbouncer project",
  );
}

/**
 * Starts Debian's PgBouncer (1.18: no named prepared statements in transaction mode, hence DATABASE_PREPARE=false)
 * with trust authentication, every database passed through to `postgresUrl`'s server.
 */
export async function startPgBouncer(postgresUrl: string, poolSize = 40): Promise<ThrowawayPgBouncer> {
  const bin = findPgBouncer();
  const target = new URL(postgresUrl);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "tally-pgbouncer-"));
  chmodSync(dir, 0o777);
  writeFileSync(join(dir, "users.txt"), `"${target.username || "postgres"}" ""\n`);
  writeFileSync(
    join(dir, "pgbouncer.ini"),
    `[databases]
* = host=${target.hostname} port=${target.port || 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir =
auth_type = trust
auth_file = ${join(dir, "users.txt")}
pool_mode = transaction
max_client_conn = 1000
default_pool_size = ${poolSize}
max_db_connections = ${poolSize}
ignore_startup_parameters = extra_float_digits,options
admin_users = ${target.username || "postgres"}
logfile = ${join(dir, "log")}
pidfile = ${join(dir, "pid")}
`,
  );
  const version = spawnSync(bin, ["--version"], { encoding: "utf8" }).stdout.split("\n")[0]?.trim() ?? "";
  // PgBouncer refuses to run as root.
  const asUser = process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--"] : [];
  const [command, ...args] = [...asUser, bin, join(dir, "pgbouncer.ini")];
  const child: ChildProcess = spawn(command as string, args, { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`PgBouncer did not start on port ${port} (see ${join(dir, "log")})`);
    }
    await sleep(50);
  }
  const through = (url: string) => {
    const u = new URL(url);
    u.hostname = "127.0.0.1";
    u.port = String(port);
    return u.toString();
  };
  return {
    url: through(postgresUrl),
    through,
    version,
    async stop() {
      // The pid file names PgBouncer itself: runuser, when it stands between, does not pass the signal on.
      const pid = Number(readFileSync(join(dir, "pid"), "utf8").trim());
      if (pid > 0) process.kill(pid, "SIGINT");
      await Promise.race([exited, sleep(5_000)]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
