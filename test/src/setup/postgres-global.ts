import { openDatabase } from "@tally/db";
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { startThrowawayPostgres } from "./throwaway-postgres.ts";

declare module "vitest" {
  export interface ProvidedContext {
    dbDriver: "pglite" | "postgres";
    /** Admin URL of the test cluster; each test file clones `tally_template` from it. */
    pgAdminUrl: string;
  }
}

/** Starts PostgreSQL once for the whole run (unless DATABASE_URL points at one) and migrates a template database. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { adminUrl, stop } = await startTestPostgres();
  project.provide("pgAdminUrl", adminUrl);
  return stop;
}

/** The run's PostgreSQL (DATABASE_URL, else a throwaway cluster) with `tally_template` migrated on it. */
export async function startTestPostgres(): Promise<{ adminUrl: string; stop: () => Promise<void> }> {
  const cluster = process.env.DATABASE_URL ? undefined : await startThrowawayPostgres();
  const adminUrl = process.env.DATABASE_URL ?? cluster?.url ?? "";
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe("DROP DATABASE IF EXISTS tally_template");
  await admin.unsafe("CREATE DATABASE tally_template");
  const template = await openDatabase({ url: withDatabase(adminUrl, "tally_template"), maxConnections: 1 });
  await template.close();
  await admin.end();
  return {
    adminUrl,
    stop: async () => {
      cluster?.stop();
    },
  };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
