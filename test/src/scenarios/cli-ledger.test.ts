import { type BalanceService, createBalanceService, normalizeIdentifier } from "@tally/core";
import { type OpenDatabase, openDatabase } from "@tally/db";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { useTallyCli } from "../cli-harness.ts";

const cli = useTallyCli("tly_cli_ledger_bootstrap");
const { tally } = cli;

/** Works on the CLI's database between runs (PGlite allows one process per data folder, so it is closed after). */
async function withCore<T>(work: (core: BalanceService, database: OpenDatabase) => Promise<T>): Promise<T> {
  const database = await openDatabase({ url: cli.env.DATABASE_URL, dataDir: cli.dataDir });
  try {
    const core = createBalanceService(database.db);
    await core.ensureBootstrap({ apiKey: cli.env.TALLY_API_KEY });
    return await work(core, database);
  } finally {
    await database.close();
  }
}

const ctx = { realmId: "default", initiator: { type: "cli", id: "test" }, via: "cli" } as const;
const alice = { kind: "credential", identifier: normalizeIdentifier("email", "alice@example.com") } as const;

// Each CLI run is a process that opens the database (on PGlite: loads and migrates it), slow on a busy machine.
describe("pnpm tally verify and reverse", { timeout: 180_000 }, () => {
  it("exits 0 on a clean ledger and 1 naming the problem on a broken one", async () => {
    await withCore((core) => core.adjust(ctx, { subject: alice, amount: 12 }));
    const clean = await tally("verify", "--json");
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.stdout)).toEqual({ ok: true, accounts: 1, entries: 1, problems: [] });
    expect(JSON.parse((await tally("verify", "--realm", "default", "--json")).stdout).ok).toBe(true);

    await withCore((_core, database) => database.db.execute(sql`UPDATE balances SET balance = 13`));
    const broken = await tally("verify", "--realm", "default", "--json");
    expect(broken.code).toBe(1);
    const report = JSON.parse(broken.stdout);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([expect.objectContaining({ check: "balance_mismatch" })]);
  });

  it("pnpm tally reverse undoes an entry once", async () => {
    const credit = await withCore((core) => core.adjust(ctx, { subject: alice, amount: 3 }));
    const reversed = await tally("reverse", credit.entryId, "--description", "cli undo", "--json");
    expect(reversed.code).toBe(0);
    expect(JSON.parse(reversed.stdout)).toMatchObject({
      entry: { kind: "reversal", delta: "-3", reversesEntryId: credit.entryId, description: "cli undo" },
    });
    const again = await tally("reverse", credit.entryId);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("ALREADY_REVERSED");
    expect((await tally("reverse")).code).toBe(2);
  });
});
