import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { openTestDatabase } from "@tally/db/testing";
import { afterAll, beforeAll, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const run = promisify(execFile);
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tally-export-cli-"));
  const { DATABASE_URL: _ignored, ...rest } = process.env;
  env = { ...rest, TALLY_DATA_DIR: join(dir, "data"), TALLY_API_KEY: "tly_export_cli_bootstrap_key" };
  const t = await openTestDatabase();
  if (t.driver === "postgres") env.DATABASE_URL = t.url;
  await t.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function tally(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "api/src/cli/main.ts", ...args], {
      cwd: root,
      env,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
const json = async (...args: string[]) => {
  const result = await tally(...args, "--json");
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout);
};

it("pnpm tally webhook, import and export", async () => {
  const created = await json(
    "webhook",
    "create",
    "--realm",
    "default",
    "--url",
    "https://example.com/h",
    "--events",
    "balance.changed",
  );
  expect(created).toMatchObject({ url: "https://example.com/h", events: ["balance.changed"] });
  expect(created.secret).toMatch(/^whsec_/);
  const board = join(dir, "board.csv");
  writeFileSync(board, "discord_id,balance\n123456789012345678,40\n223456789012345678,2\n");
  const dry = await json("import", "--realm", "default", board);
  expect(dry).toMatchObject({
    mapping: "discord",
    entries: 2,
    applied: false,
    note: expect.stringContaining("--apply"),
  });
  const applied = await json("import", "--realm", "default", "--format", "csv", board, "--apply");
  expect(applied).toMatchObject({ applied: true, totals: { points: "42" } });
  const again = await json("import", "--realm", "default", board, "--apply");
  expect(again).toMatchObject({ alreadyImported: true, entries: 0 });

  const out = join(dir, "ledger.jsonl");
  expect(await json("export", "transactions", "--realm", "default", "--format", "jsonl", "--out", out)).toMatchObject({
    written: out,
  });
  const lines = readFileSync(out, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  expect(lines.map((l) => [l.kind, l.delta, l.via])).toEqual([
    ["import", 40, "cli"],
    ["import", 2, "cli"],
  ]);
  const bad = await tally("import", "--realm", "default", "--format", "xml", board);
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toContain("--format");
}, 400_000);
