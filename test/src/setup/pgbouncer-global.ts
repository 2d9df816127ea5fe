import type { TestProject } from "vitest/node";
import { startTestPostgres } from "./postgres-global.ts";
import { startPgBouncer } from "./throwaway-pgbouncer.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** The pgbouncer project: each test file's database is reached through this PgBouncer (transaction mode). */
    pgBouncerUrl: string;
  }
}

/** The run's PostgreSQL with Debian's PgBouncer in front of it in transaction pooling mode. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { adminUrl, stop } = await startTestPostgres();
  const bouncer = await startPgBouncer(adminUrl);
  project.provide("pgAdminUrl", adminUrl);
  project.provide("pgBouncerUrl", bouncer.url);
  return async () => {
    await bouncer.stop();
    await stop();
  };
}
