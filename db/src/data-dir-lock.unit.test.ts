import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DataDirInUseError, LOCK_FILE, lockDataDir, resolveDataDir, tallyRoot } from "./data-dir-lock.ts";

const dirs: string[] = [];
const folder = () => {
  const dir = mkdtempSync(join(tmpdir(), "tally-lock-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The pid of a process that has certainly exited (a `kill -9`ed owner leaves exactly this behind). */
const deadPid = () => spawnSync(process.execPath, ["-e", "0"]).pid;

describe("lockDataDir", () => {
  it("writes the owner's pid, refuses a second owner naming the folder and pid, and lets go on release", () => {
    const dir = folder();
    const lock = lockDataDir(dir);
    expect(readFileSync(join(dir, LOCK_FILE), "utf8").trim()).toBe(String(process.pid));
    expect(() => lockDataDir(dir)).toThrow(DataDirInUseError);
    expect(() => lockDataDir(dir)).toThrow(`${dir} is in use by process ${process.pid}`);
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    lockDataDir(dir).release();
  });

  it("refuses while the owner named in the file is alive", () => {
    const dir = folder();
    // The parent of this test process is certainly alive and is not us.
    writeFileSync(join(dir, LOCK_FILE), `${process.ppid}\n`);
    expect(() => lockDataDir(dir)).toThrow(
      `in use by process ${process.ppid}: stop that process first, or set DATABASE_URL`,
    );
    expect(readFileSync(join(dir, LOCK_FILE), "utf8").trim()).toBe(String(process.ppid));
  });

  it("takes over a lock left by an owner that died without releasing it", () => {
    const dir = folder();
    writeFileSync(join(dir, LOCK_FILE), `${deadPid()}\n`);
    const lock = lockDataDir(dir);
    expect(readFileSync(join(dir, LOCK_FILE), "utf8").trim()).toBe(String(process.pid));
    lock.release();
  });

  it("takes over a leftover naming its own pid (a container's PID 1 restarting) and an unreadable file", () => {
    const dir = folder();
    writeFileSync(join(dir, LOCK_FILE), `${process.pid}\n`);
    lockDataDir(dir).release();
    writeFileSync(join(dir, LOCK_FILE), "");
    lockDataDir(dir).release();
  });
});

describe("resolveDataDir", () => {
  it("resolves a relative folder against Tally's root, never the current folder", () => {
    expect(tallyRoot()).toBe(join(import.meta.dirname, "..", ".."));
    expect(resolveDataDir("./.tally")).toBe(join(tallyRoot(), ".tally"));
    const before = process.cwd();
    process.chdir(join(tallyRoot(), "bots", "discord"));
    try {
      expect(resolveDataDir(".tally")).toBe(join(tallyRoot(), ".tally"));
    } finally {
      process.chdir(before);
    }
    expect(resolveDataDir("/var/lib/tally")).toBe("/var/lib/tally");
    expect(resolveDataDir("memory://")).toBe("memory://");
  });
});
