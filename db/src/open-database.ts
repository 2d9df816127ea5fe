import { existsSync, mkdirSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import type { SQL } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { lockDataDir } from "./data-dir-lock.ts";
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
  /** PostgreSQL: how long to keep retrying a server that cannot be reached yet (a database still starting). */
  connectRetryMs?: number;
  /** Told about each failed attempt before the next one. */
  onConnectRetry?: (retry: { attempt: number; delayMs: number; reason: string }) => void;
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

// Beside the source (db/src/../migrations), or copied next to the bundle (dist/migrations).
const migrationsFolder = [new URL("./migrations", import.meta.url), new URL("../migrations", import.meta.url)]
  .map((url) => fileURLToPath(url))
  .find((path) => existsSync(path)) as string;

// Two processes may start at once against one PostgreSQL; the advisory lock makes the second wait for the first.
const MIGRATION_LOCK = 727_001;

export async function openDatabase(options: DatabaseOptions = {}): Promise<OpenDatabase> {
  return options.url ? openPostgres(options.url, options) : openPglite(options.dataDir);
}

// Errors that mean "not reachable yet"; anything else (a wrong password, a missing database) will not heal by waiting.
const TRANSIENT = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "CONNECT_TIMEOUT",
  "57P03",
]);

async function openPostgres(url: string, options: DatabaseOptions): Promise<OpenDatabase> {
  const deadline = Date.now() + (options.connectRetryMs ?? 0);
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectPostgres(url, options);
    } catch (error) {
      const code = (error as { code?: string }).code ?? "";
      const reason = error instanceof Error ? error.message : String(error);
      const delayMs = Math.min(500 * 2 ** (attempt - 1), 5_000);
      if (!TRANSIENT.has(code) || Date.now() + delayMs > deadline) {
        const waited = attempt > 1 ? ` after ${attempt} attempts` : "";
        throw new Error(`Cannot use the PostgreSQL database at DATABASE_URL (host ${hostOf(url)})${waited}: ${reason}`);
      }
      options.onConnectRetry?.({ attempt, delayMs, reason });
      await sleep(delayMs);
    }
  }
}

/** `host:port` of a connection URL, never its password. */
function hostOf(url: string): string {
  const { hostname, port } = new URL(url);
  return `${hostname || "localhost"}:${port || 5432}`;
}

async function connectPostgres(url: string, options: DatabaseOptions): Promise<OpenDatabase> {
  const client = postgres(url, {
    max: options.maxConnections ?? 10,
    onnotice: () => {},
    // While the database is away, every request must fail fast (a 503) instead of queueing behind a connection
    // attempt: reconnect at once (a refused connection costs a millisecond; the default backoff grows to 20 s,
    // which also delays recovery) and give up on a connection the network swallows after a short wait.
    backoff: () => 0,
    connect_timeout: 2,
    // bigint columns come back as bigint, never as a lossy number
    types: { bigint: postgres.BigInt },
    ...(options.onStatement ? { debug: (_: number, text: string) => options.onStatement?.(text) } : {}),
  });
  preparedByDefault(client);
  const db = drizzlePostgres(client, { schema }) as unknown as Database;
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK})`;
    try {
      await migratePostgres(drizzlePostgres(client), { migrationsFolder });
    } finally {
      await client`select pg_advisory_unlock(${MIGRATION_LOCK})`;
    }
  } catch (error) {
    await client.end({ timeout: 1 });
    throw error;
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

/** PGlite keeps the folder's pages in this process: one process per folder, enforced by a lock file. */
async function openPglite(folder: string | undefined): Promise<OpenDatabase> {
  const dataDir = folder && folder !== "memory://" ? folder : undefined;
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const lock = dataDir ? lockDataDir(dataDir) : undefined;
  try {
    const client = await PGlite.create(dataDir ? { dataDir } : {});
    const db = drizzlePglite(client, { schema }) as unknown as Database;
    await migratePglite(drizzlePglite(client), { migrationsFolder });
    return {
      db,
      driver: "pglite",
      ping: async () => {
        await client.query("select 1");
      },
      close: async () => {
        try {
          await client.close();
        } finally {
          lock?.release();
        }
      },
    };
  } catch (error) {
    lock?.release();
    throw error;
  }
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
