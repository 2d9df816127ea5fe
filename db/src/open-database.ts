import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import type { SQL } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import * as schema from "./schema/index.ts";

export type Schema = typeof schema;
/** One handle type for both drivers and for a transaction inside either. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;

export interface DatabaseOptions {
  /** `postgres://…`; when absent, embedded PGlite is used. */
  url?: string | undefined;
  /** PGlite data folder; `memory://` or absent keeps it in memory. */
  dataDir?: string | undefined;
  /** postgres.js pool size. */
  maxConnections?: number;
  /** Called with the text of every statement sent to PostgreSQL (tests count round trips with it). */
  onStatement?: ((text: string) => void) | undefined;
}

export interface OpenDatabase {
  db: Database;
  driver: "postgres" | "pglite";
  /** Resolves when the database answers a trivial query; for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

const migrationsFolder = fileURLToPath(new URL("../migrations", import.meta.url));

// Two processes may start at once against one PostgreSQL; the advisory lock makes the second wait for the first.
const MIGRATION_LOCK = 727_001;

export async function openDatabase(options: DatabaseOptions = {}): Promise<OpenDatabase> {
  if (options.url) {
    const client = postgres(options.url, {
      max: options.maxConnections ?? 10,
      onnotice: () => {},
      // bigint columns come back as bigint, never as a lossy number
      types: { bigint: postgres.BigInt },
      ...(options.onStatement ? { debug: (_: number, text: string) => options.onStatement?.(text) } : {}),
    });
    preparedByDefault(client);
    const db = drizzlePostgres(client, { schema }) as unknown as Database;
    await client`select pg_advisory_lock(${MIGRATION_LOCK})`;
    try {
      await migratePostgres(drizzlePostgres(client), { migrationsFolder });
    } finally {
      await client`select pg_advisory_unlock(${MIGRATION_LOCK})`;
    }
    return {
      db,
      driver: "postgres",
      ping: async () => {
        await client`select 1`;
      },
      close: () => client.end({ timeout: 5 }),
    };
  }
  const dataDir = options.dataDir && options.dataDir !== "memory://" ? options.dataDir : undefined;
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const client = await PGlite.create(dataDir ? { dataDir } : {});
  const db = drizzlePglite(client, { schema }) as unknown as Database;
  await migratePglite(drizzlePglite(client), { migrationsFolder });
  return {
    db,
    driver: "pglite",
    ping: async () => {
      await client.query("select 1");
    },
    close: () => client.close(),
  };
}

/**
 * drizzle sends every unnamed query through `client.unsafe(…, { prepare: false })`, which postgres.js runs as an
 * unnamed statement: Parse and Describe, wait, then Bind and Execute — two round trips and a fresh plan per query.
 * Named prepared statements, cached per connection by query text, make each query one round trip after its first
 * use. Queries are parameterised, so the number of distinct texts stays small. Transactions get their own `sql`
 * from `begin`, which is patched the same way.
 */
function preparedByDefault<T extends postgres.Sql>(client: T): T {
  const unsafe = client.unsafe.bind(client);
  client.unsafe = ((query: string, args?: unknown[], options?: postgres.UnsafeQueryOptions) =>
    unsafe(query, args as postgres.ParameterOrJSON<never>[], { ...options, prepare: true })) as T["unsafe"];
  const begin = client.begin?.bind(client);
  if (begin) {
    client.begin = ((...args: unknown[]) => {
      const work = args.pop() as (sql: postgres.TransactionSql) => unknown;
      return (begin as (...a: unknown[]) => unknown)(...args, (sql: postgres.TransactionSql) =>
        work(preparedByDefault(sql as unknown as postgres.Sql) as unknown as postgres.TransactionSql),
      );
    }) as T["begin"];
  }
  return client;
}

/** Runs a raw statement and returns its rows: postgres.js answers with an array, PGlite with `{ rows }`. */
export async function queryRows<T>(db: Database, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as T[] | { rows: T[] };
  return Array.isArray(result) ? result : result.rows;
}
