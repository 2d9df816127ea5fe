import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "@tally/db";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** A `dumpDataDir()` of a migrated PGlite database: each test file's in-memory database starts from it. */
    pgliteDump: string;
  }
}

/**
 * Creates and migrates one embedded database for the whole run and dumps it to a file. A new PGlite runs initdb
 * inside WebAssembly (2.5 s of CPU) and then every migration; loading the dump takes about a second.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), "tally-pglite-dump-"));
  const opened = await openDatabase({});
  try {
    if (!opened.dump) throw new Error("openDatabase({}) did not open PGlite");
    const dump = await opened.dump();
    const path = join(dir, "migrated.tar");
    writeFileSync(path, Buffer.from(await dump.arrayBuffer()));
    project.provide("pgliteDump", path);
  } finally {
    await opened.close();
  }
  return () => rmSync(dir, { recursive: true, force: true });
}
