import { existsSync, linkSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The file inside a PGlite data folder that names the one process allowed to open it. */
export const LOCK_FILE = "tally.lock";

/** Thrown when another live process owns the folder; its message is the one line an operator needs. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly ownerPid: number,
  ) {
    super(
      `The embedded database in ${dataDir} is in use by process ${ownerPid}: stop that process first, or set DATABASE_URL to share a PostgreSQL database between processes.`,
    );
    this.name = "DataDirInUseError";
  }
}

export interface DataDirLock {
  release(): void;
}

// Folders this process holds: a second open in the same process is refused too, and a lock file naming our own
// pid that we do not hold is a leftover of an earlier process that had the same pid (a container's PID 1).
const held = new Set<string>();

/**
 * Takes the folder for this process, or throws `DataDirInUseError`. Crash-safe: the lock file holds the owner's pid,
 * and a file whose pid is no longer alive (a `kill -9`ed owner) is taken over. The lock is per machine; a folder on a
 * volume shared between machines or containers needs PostgreSQL instead.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const path = join(dataDir, LOCK_FILE);
  if (held.has(path)) throw new DataDirInUseError(dataDir, process.pid);
  // link() creates the lock file with its content in one step, failing when it exists: no one ever reads it empty.
  const draft = `${path}.${process.pid}`;
  writeFileSync(draft, `${process.pid}\n`);
  for (;;) {
    try {
      linkSync(draft, path);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
        unlinkQuietly(draft);
        throw error;
      }
    }
    const owner = readOwner(path);
    if (owner !== undefined && owner !== process.pid && isAlive(owner)) {
      unlinkQuietly(draft);
      throw new DataDirInUseError(dataDir, owner);
    }
    // Stale: remove it only if it still names the dead owner, so a process that just took it over keeps it.
    if (readOwner(path) === owner) unlinkQuietly(path);
  }
  unlinkQuietly(draft);
  held.add(path);
  const release = () => {
    if (!held.delete(path)) return;
    if (readOwner(path) === process.pid) unlinkQuietly(path);
    process.off("exit", release);
  };
  // process.exit() skips close(): remove the file on the way out anyway.
  process.on("exit", release);
  return { release };
}

function readOwner(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, "utf8"), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but another user's.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/**
 * Resolves `TALLY_DATA_DIR` against one fixed base, Tally's root folder (the one whose package.json is named
 * `tally`), never the current folder: every entry point (`pnpm start`, the CLI, a package's own script, the bundle in
 * `dist/`) then opens the same ledger. Absolute paths and `memory://` are kept as they are.
 */
export function resolveDataDir(value: string): string {
  if (value === "memory://" || isAbsolute(value)) return value;
  return resolve(tallyRoot(), value);
}

let root: string | undefined;

/** The nearest folder above this module whose package.json is named `tally` (the repository, or the app folder). */
export function tallyRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && /"name":\s*"tally"/.test(readFileSync(manifest, "utf8"))) {
      root = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`Cannot find Tally's package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}
