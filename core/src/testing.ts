import type { Database } from "@tally/db";
import { openTestDatabase, type TestDatabase } from "@tally/db/testing";
import { afterAll, beforeAll, beforeEach, expect } from "vitest";
import { type BalanceService, createBalanceService } from "./balance-service.ts";
import { type AuditReport, auditLedger } from "./queries/audit-ledger.ts";

/**
 * Registers the usual hooks of a test file that needs core: its own database (one per file, the costly part),
 * emptied and given realm `default` with `apiKey` before each test. Read `t` and `core` inside tests.
 */
export function useTestCore(options: { apiKey?: string; maxConnections?: number; now?: () => Date } = {}): {
  readonly t: TestDatabase;
  readonly core: BalanceService;
} {
  let t: TestDatabase | undefined;
  let core: BalanceService | undefined;
  beforeAll(async () => {
    t = await openTestDatabase({ maxConnections: options.maxConnections });
    core = createBalanceService(t.db, { now: options.now });
  });
  afterAll(() => t?.close());
  beforeEach(async () => {
    await t?.reset();
    await core?.ensureBootstrap({ apiKey: options.apiKey ?? "tly_test_bootstrap_key" });
  });
  return {
    get t() {
      if (!t) throw new Error("useTestCore: the database opens in beforeAll");
      return t;
    },
    get core() {
      if (!core) throw new Error("useTestCore: core is created in beforeAll");
      return core;
    },
  };
}

/**
 * Fails the test unless the ledger audit finds nothing, over one realm or all; for the end of every concurrency and
 * fault test. Takes the balance service or a bare database handle. Returns the report (counts) for further checks.
 */
export async function expectAuditClean(target: BalanceService | Database, realmId?: string): Promise<AuditReport> {
  const report = "audit" in target ? await target.audit(realmId) : await auditLedger(target, realmId);
  expect(report.problems).toEqual([]);
  expect(report.ok).toBe(true);
  return report;
}
