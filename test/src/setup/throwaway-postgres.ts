import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A PostgreSQL cluster started from the machine's binaries on a free loopback port, for tests and benchmarks. */
export interface ThrowawayPostgres {
  url: string;
  stop(): void;
  /** Stops the server the way a crash does (`pg_ctl -m immediate`), keeping its data for `start`. */
  crash(): void;
  /** Starts the server again after `crash`, returning once it accepts connections. */
  start(): void;
  /** A streaming replica of this server (`pg_basebackup -R`), hot standby on a port of its own. */
  startReplica(): Promise<ThrowawayPostgres>;
}

function findBin(name: string): string {
  const onPath = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).stdout.trim();
  if (onPath) return onPath;
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const candidate = join(root, v, "bin", name);
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`${name} not found: install PostgreSQL (apt-get install postgresql) or set DATABASE_URL.`);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

export async function startThrowawayPostgres(settings: Record<string, string> = {}): Promise<ThrowawayPostgres> {
  const initdb = findBin("initdb");
  const pgCtl = findBin("pg_ctl");
  const dir = mkdtempSync(join(tmpdir(), "tally-pg-"));
  chmodSync(dir, 0o777);
  const data = join(dir, "data");
  const port = await freePort();
  // initdb refuses to run as root; run the cluster as the postgres user then.
  const asUser = process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--"] : [];
  const run = (cmd: string, args: string[]) => {
    const [bin, ...rest] = [...asUser, cmd, ...args];
    execFileSync(bin as string, rest, { stdio: "pipe" });
  };
  run(initdb, ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"]);
  const options = {
    listen_addresses: "127.0.0.1",
    port: String(port),
    unix_socket_directories: dir,
    max_connections: "300",
    fsync: "off",
    synchronous_commit: "off",
    full_page_writes: "off",
    ...settings,
  };
  const flags = Object.entries(options)
    .map(([k, v]) => `-c ${k}=${v}`)
    .join(" ");
  const start = () => run(pgCtl, ["-D", data, "-l", join(dir, "log"), "-w", "-t", "60", "-o", flags, "start"]);
  start();
  const startReplica = async (): Promise<ThrowawayPostgres> => {
    const replicaDir = mkdtempSync(join(tmpdir(), "tally-pg-replica-"));
    chmodSync(replicaDir, 0o777);
    const replicaData = join(replicaDir, "data");
    const replicaPort = await freePort();
    // -R writes standby.signal and primary_conninfo: the copy starts as a streaming hot standby of this server.
    run(findBin("pg_basebackup"), [
      "-h",
      "127.0.0.1",
      "-p",
      String(port),
      "-U",
      "postgres",
      "-D",
      replicaData,
      "-R",
      "-X",
      "stream",
    ]);
    const replicaFlags = flags.replace(`port=${port}`, `port=${replicaPort}`).replace(dir, replicaDir);
    const startCopy = () =>
      run(pgCtl, ["-D", replicaData, "-l", join(replicaDir, "log"), "-w", "-t", "60", "-o", replicaFlags, "start"]);
    startCopy();
    const stopCopy = () => run(pgCtl, ["-D", replicaData, "-m", "immediate", "-w", "stop"]);
    return {
      url: `postgres://postgres@127.0.0.1:${replicaPort}/postgres`,
      crash: stopCopy,
      start: startCopy,
      startReplica: () => Promise.reject(new Error("a replica of a replica is not needed here")),
      stop() {
        try {
          stopCopy();
        } finally {
          rmSync(replicaDir, { recursive: true, force: true });
        }
      },
    };
  };
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    startReplica,
    crash: () => run(pgCtl, ["-D", data, "-m", "immediate", "-w", "stop"]),
    start,
    stop() {
      try {
        run(pgCtl, ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
