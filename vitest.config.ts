import { defineConfig } from "vitest/config";
import { SlowFirstSequencer } from "./test/src/setup/slow-first-sequencer.ts";

// Many suites start real processes (the CLI, the server, both bots); with three files at once on two cores one of
// them can take a minute without anything being wrong.
const common = { testTimeout: 120_000, hookTimeout: 120_000 };
const everywhere = ["**/node_modules/**", "**/*.unit.test.ts", "**/*.pgbouncer.test.ts"];

const PGBOUNCER_SUITES = [
  "core/src/ledger/adjust-balance.test.ts",
  "core/src/ledger/concurrency.pg.test.ts",
  "core/src/ledger/races.pg.test.ts",
  "core/src/idempotency.test.ts",
  "test/src/scenarios/api-concurrency.pg.test.ts",
  "**/*.pgbouncer.test.ts",
];

/**
 * Three projects: pure unit tests once, and every database suite on both drivers. Files named `*.pg.test.ts`
 * exercise concurrency, which PGlite (one connection, serialised) can never reveal, so they run on PostgreSQL only.
 */
export default defineConfig({
  test: {
    // Files run in separate processes on separate databases; most of a file's time is spent waiting on PostgreSQL,
    // child processes and sockets, so three at once finish sooner even on two cores.
    maxWorkers: 3,
    sequence: { sequencer: SlowFirstSequencer },
    projects: [
      { test: { ...common, name: "unit", include: ["**/*.unit.test.ts"], exclude: ["**/node_modules/**"] } },
      {
        test: {
          ...common,
          name: "pglite",
          include: ["**/*.test.ts"],
          exclude: [...everywhere, "**/*.pg.test.ts"],
          provide: { dbDriver: "pglite", pgAdminUrl: "" },
          globalSetup: ["test/src/setup/pglite-global.ts"],
        },
      },
      {
        test: {
          ...common,
          name: "postgres",
          include: ["**/*.test.ts"],
          exclude: everywhere,
          provide: { dbDriver: "postgres" },
          globalSetup: ["test/src/setup/postgres-global.ts"],
        },
      },
      {
        // The delta, idempotency and race suites again, through Debian's PgBouncer 1.18 in transaction pooling mode.
        test: {
          ...common,
          name: "pgbouncer",
          include: PGBOUNCER_SUITES,
          provide: { dbDriver: "postgres" },
          env: { DATABASE_PREPARE: "false" },
          globalSetup: ["test/src/setup/pgbouncer-global.ts"],
        },
      },
    ],
  },
});
