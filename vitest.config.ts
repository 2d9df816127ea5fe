import { defineConfig } from "vitest/config";

const common = { testTimeout: 60_000, hookTimeout: 120_000 };
const everywhere = ["**/node_modules/**", "**/*.unit.test.ts"];

/**
 * Three projects: pure unit tests once, and every database suite on both drivers. Files named `*.pg.test.ts`
 * exercise concurrency, which PGlite (one connection, serialised) can never reveal, so they run on PostgreSQL only.
 */
export default defineConfig({
  test: {
    projects: [
      { test: { ...common, name: "unit", include: ["**/*.unit.test.ts"], exclude: ["**/node_modules/**"] } },
      {
        test: {
          ...common,
          name: "pglite",
          include: ["**/*.test.ts"],
          exclude: [...everywhere, "**/*.pg.test.ts"],
          provide: { dbDriver: "pglite", pgAdminUrl: "" },
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
    ],
  },
});
