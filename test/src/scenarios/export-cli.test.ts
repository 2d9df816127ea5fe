import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { useTallyCli } from "../cli-harness.ts";

const cli = useTallyCli("tly_export_cli_bootstrap_key");
const { tally, json } = cli;

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
  const board = join(cli.dir, "board.csv");
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

  const out = join(cli.dir, "ledger.jsonl");
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
