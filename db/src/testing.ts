import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { inject } from "vitest";
import { type OpenDatabase, openDatabase } from "./open-database.ts";

export interface TestDatabase extends OpenDatabase {
  /** PostgreSQL URL of this file's own database (PostgreSQL runs only), for a second process or pgbench. */
  url: string | undefined;
  /** Empties every table between tests. */
  reset(): Promise<void>;
}

const TABLES = [
  "ledger_entries",
  "idempotency_keys",
  "balances",
  "credentials",
  "accounts",
  "api_keys",
  "currencies",
  "bot_bindings",
  "allowance_usage",
  "giving_rules",
  "giving_pairs",
  "reaction_gifts",
  "realms",
  "webhook_outbox",
  "webhook_sequences",
  "webhook_deliveries",
  "webhook_endpoints",
  "rate_limit_windows",
  "link_codes",
  "link_code_attempts",
];

/**
 * The database for one test file, on the driver of the running vitest project: in-memory PGlite, or a fresh
 * PostgreSQL database cloned from the migrated template.
 */
export async function openTestDatabase(
  options: { maxConnections?: number; onStatement?: (text: string) => void } = {},
): Promise<TestDatabase> {
  let url: string | undefined;
  if (inject("dbDriver") === "postgres") {
    const adminUrl = inject("pgAdminUrl");
    const name = `tally_${randomBytes(6).toString("hex")}`;
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`CREATE DATABASE ${name} TEMPLATE tally_template`);
    await admin.end();
    // The pgbouncer project reaches the same database through PgBouncer in transaction mode, unprepared.
    const u = new URL(inject("pgBouncerUrl") || adminUrl);
    u.pathname = `/${name}`;
    url = u.toString();
  }
  const dump = url === undefined ? inject("pgliteDump") : "";
  const opened = await openDatabase({
    url,
    pgliteDump: dump ? new Blob([readFileSync(dump)]) : undefined,
    prepare: !inject("pgBouncerUrl"),
    maxConnections: options.maxConnections ?? 20,
    onStatement: options.onStatement,
  });
  return {
    ...opened,
    url,
    reset: async () => {
      await opened.db.execute(sql.raw(`TRUNCATE ${TABLES.join(", ")} RESTART IDENTITY CASCADE`));
    },
  };
}
