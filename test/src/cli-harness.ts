import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { openTestDatabase } from "@tally/db/testing";
import { afterAll, beforeAll, expect } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const run = promisify(execFile);

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `pnpm tally` as a real child process, for a test file: on the PostgreSQL project against the file's own database,
 * on PGlite against a fresh data folder (`dataDir`, inside the scratch folder `dir`).
 */
export function useTallyCli(apiKey: string) {
  const cli = {
    dir: "",
    dataDir: "",
    env: {} as NodeJS.ProcessEnv,
    async tally(...args: string[]): Promise<CliRun> {
      try {
        const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "api/src/cli/main.ts", ...args], {
          cwd: root,
          env: cli.env,
        });
        return { code: 0, stdout, stderr };
      } catch (error) {
        const e = error as CliRun;
        return { code: e.code, stdout: e.stdout, stderr: e.stderr };
      }
    },
    /** A command that must succeed quietly, its `--json` output parsed. */
    async json(...args: string[]) {
      const result = await cli.tally(...args, "--json");
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      return JSON.parse(result.stdout);
    },
  };
  beforeAll(async () => {
    cli.dir = mkdtempSync(join(tmpdir(), "tally-cli-"));
    cli.dataDir = join(cli.dir, "data");
    const { DATABASE_URL: _ignored, ...rest } = process.env;
    cli.env = { ...rest, TALLY_DATA_DIR: cli.dataDir, TALLY_API_KEY: apiKey };
    const t = await openTestDatabase();
    if (t.driver === "postgres") cli.env.DATABASE_URL = t.url;
    await t.close();
  });
  afterAll(() => rmSync(cli.dir, { recursive: true, force: true }));
  return cli;
}
