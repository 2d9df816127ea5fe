import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { describe, expect, inject, it } from "vitest";
import { useTallyCli } from "../cli-harness.ts";

const cli = useTallyCli("tly_cli_migrate_key");
const journal = JSON.parse(
  readFileSync(join(import.meta.dirname, "../../../db/migrations/meta/_journal.json"), "utf8"),
);
const ALL = (journal.entries as unknown[]).length;

/** A fresh, empty PostgreSQL database (no template), or none on PGlite where the data folder starts empty. */
async function emptyDatabase(): Promise<string | undefined> {
  if (inject("dbDriver") !== "postgres") return undefined;
  const admin = postgres(inject("pgAdminUrl"), { max: 1, onnotice: () => {} });
  const name = `tally_empty_${randomBytes(6).toString("hex")}`;
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(inject("pgAdminUrl"));
  u.pathname = `/${name}`;
  return u.toString();
}

describe("pnpm tally migrate", () => {
  it("applies every pending migration as a step of its own, and nothing the second time", async () => {
    const url = await emptyDatabase();
    if (url) cli.env.DATABASE_URL = url;
    // Two at once on PostgreSQL: the migration lock lets one apply them all and the other find nothing left.
    const runs = await Promise.all(url ? [cli.json("migrate"), cli.json("migrate")] : [cli.json("migrate")]);
    expect(runs.map((r) => r.applied).sort((a, b) => b - a)).toEqual(url ? [ALL, 0] : [ALL]);
    expect(runs.every((r) => r.total === ALL)).toBe(true);
    expect(await cli.json("migrate")).toEqual({ applied: 0, total: ALL });
    // It only migrates: the bootstrap realm is created by the first start (or any other command), not by migrate.
    expect(await cli.json("realm", "list")).toEqual([expect.objectContaining({ id: "default" })]);
  });

  it("runs with named prepared statements off (DATABASE_PREPARE=false)", async () => {
    cli.env.DATABASE_PREPARE = "false";
    try {
      expect(await cli.json("migrate")).toEqual({ applied: 0, total: ALL });
    } finally {
      delete cli.env.DATABASE_PREPARE;
    }
  });

  it("refuses a DATABASE_PREPARE that is not true or false, naming it", async () => {
    cli.env.DATABASE_PREPARE = "maybe";
    try {
      const run = await cli.tally("migrate");
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("DATABASE_PREPARE");
    } finally {
      delete cli.env.DATABASE_PREPARE;
    }
  });
});
