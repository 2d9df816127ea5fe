import { existsSync, mkdirSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { type SQL, sql } from "drizzle-orm";
import { readMigrationFiles } from "drizzle-orm/migrator";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { type ConnectionTarget, connectionTarget } from "./connection-target.ts";
import { lockDataDir } from "./data-dir-lock.ts";
import * as schema from "./schema/index.ts";

export type Schema = typeof schema;
/** One handle type for both drivers and for a transaction inside either. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;

export interface DatabaseOptions {
  /** `postgres://…`; when absent, embedded PGlite is used. */
  url?: string | undefined;
  /** The setting `url` came from, which every message about it names (default `DATABASE_URL`). */
  setting?: string | undefined;
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
  /**
   * PostgreSQL: named prepared statements (default true). `false` sends every query unnamed, as PgBouncer before
   * 1.21 in transaction pooling mode needs: a named statement lives on one server connection, which the next
   * transaction may not get.
   */
  prepare?: boolean | undefined;
  /** Apply pending migrations while opening (default true); `pnpm tally migrate` does it as a step of its own. */
  migrate?: boolean | undefined;
  /**
   * PGlite, in memory: start from this `dumpDataDir()` of a database instead of a new one. Tests load one migrated
   * dump in about a second; a new database runs initdb inside WebAssembly first (2.5 s) and then every migration.
   */
  pgliteDump?: Blob | undefined;
}

export interface OpenDatabase {
  db: Database;
  driver: "postgres" | "pglite";
  /** Resolves when the database answers a trivial query; for readiness checks. */
  ping(): Promise<void>;
  /**
   * Calls `onMessage` with each NOTIFY payload on `channel` (PostgreSQL: on a connection of its own, outside the
   * pool, re-listening after a reconnect); resolves to a function that stops listening. `onListen` runs each time
   * the listening starts, the first time and after every reconnect: whatever was announced while the connection was
   * down never arrives, so a cache kept fresh by the notices drops everything there.
   */
  listen(channel: string, onMessage: (payload: string) => void, onListen?: () => void): Promise<() => Promise<void>>;
  /** Applies pending migrations (PostgreSQL: under the migration lock); opening does it unless told not to. */
  migrate(): Promise<MigrationResult>;
  /** PGlite only: the whole database as `dumpDataDir()` makes it, which `pgliteDump` opens again. */
  dump?: () => Promise<Blob>;
  close(): Promise<void>;
}

/** What `migrateDatabase` did: how many migrations it applied now, and how many the database has in all. */
export interface MigrationResult {
  applied: number;
  total: number;
}

// Beside the source (db/src/../migrations), or copied next to the bundle (dist/migrations).
const migrationsFolder = [new URL("./migrations", import.meta.url), new URL("../migrations", import.meta.url)]
  .map((url) => fileURLToPath(url))
  .find((path) => existsSync(path)) as string;

// Two processes may start at once against one PostgreSQL; the advisory lock makes the second wait for the first.
// It is a transaction lock, taken in the migrations' own transaction: a session lock taken through PgBouncer in
// transaction mode would stay on whichever server connection ran it, and its unlock could land on another.
const MIGRATION_LOCK = 727_001;

export async function openDatabase(options: DatabaseOptions = {}): Promise<OpenDatabase> {
  return options.url
    ? openPostgres(options.url, options)
    : openPglite(options.dataDir, options.migrate !== false, options.pgliteDump);
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
  // Read once: a malformed socket folder is refused before any attempt, and every attempt and message uses it.
  const setting = options.setting ?? "DATABASE_URL";
  const target = connectionTarget(url, setting);
  const deadline = Date.now() + (options.connectRetryMs ?? 0);
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectPostgres(target, options);
    } catch (error) {
      const code = (error as { code?: string }).code ?? "";
      const reason = error instanceof Error ? error.message : String(error);
      const delayMs = Math.min(500 * 2 ** (attempt - 1), 5_000);
      if (!TRANSIENT.has(code) || Date.now() + delayMs > deadline) {
        const waited = attempt > 1 ? ` after ${attempt} attempts` : "";
        throw new Error(`Cannot use the PostgreSQL database at ${setting} (host ${target.where})${waited}: ${reason}`);
      }
      options.onConnectRetry?.({ attempt, delayMs, reason });
      await sleep(delayMs);
    }
  }
}

/**
 * The LISTEN connection's wait between attempts while the database is away: 0.2 s doubling to 5 s. postgres.js
 * listens again the moment that connection closes, so with the pool's no-delay reconnects an idle process tried
 * about 650 times a second through an outage (and spent a quarter of a core on it). Notices sent meanwhile are lost
 * either way, which is why `listen` tells its caller (`onListen`) each time it listens again.
 */
const listenBackoff = (retries: number) => Math.min(0.1 * 2 ** retries, 5);

async function connectPostgres(target: ConnectionTarget, options: DatabaseOptions): Promise<OpenDatabase> {
  const client = postgres(target.url, {
    ...target.socket,
    max: options.maxConnections ?? 10,
    onnotice: () => {},
    // While the database is away, every request must fail fast (a 503) instead of queueing behind a connection
    // attempt: reconnect at once (a refused connection costs a millisecond; the default backoff grows to 20 s,
    // which also delays recovery). A connection the network swallows is given up after 10 s, not 30: shorter
    // fails healthy connects on a busy server, which can take seconds to start a backend.
    backoff: () => 0,
    connect_timeout: 10,
    // bigint columns come back as bigint, never as a lossy number
    types: { bigint: postgres.BigInt },
    ...(options.prepare === false ? { prepare: false } : {}),
    ...(options.onStatement ? { debug: (_: number, text: string) => options.onStatement?.(text) } : {}),
  });
  if (options.prepare !== false) preparedByDefault(client);
  const db = drizzlePostgres(client, { schema }) as unknown as Database;
  try {
    // Reach the server now, migrating or not: a wrong or unreachable URL (a replica's too) fails here, retried and
    // then named in one line, instead of at the first request that needs it.
    if (options.migrate !== false) await migratePostgres(db);
    else await client`select 1`;
  } catch (error) {
    await client.end({ timeout: 1 });
    throw error;
  }
  // Its own client, not the pool's: postgres.js gives `listen` a connection with the options of the client it is
  // called on, and only the backoff differs. Created on the first listen; one connection for every channel.
  let listener: postgres.Sql | undefined;
  return {
    db,
    driver: "postgres",
    migrate: () => migratePostgres(db),
    listen: async (channel, onMessage, onListen) => {
      listener ??= postgres(target.url, {
        ...target.socket,
        max: 1,
        onnotice: () => {},
        backoff: listenBackoff,
        connect_timeout: 10,
      });
      const { unlisten } = await listener.listen(channel, onMessage, onListen);
      return unlisten;
    },
    ping: async () => {
      await client`select 1`;
    },
    close: async () => {
      await Promise.all([client.end({ timeout: 5 }), listener?.end({ timeout: 5 })]);
    },
  };
}

/** Applies pending migrations in one transaction under the migration lock; says how many it applied. */
async function migratePostgres(db: Database): Promise<MigrationResult> {
  const migrations = readMigrationFiles({ migrationsFolder });
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    const before = await countMigrations(tx);
    // drizzle's own migrator, run inside this transaction: the transaction it asks for is this one.
    const { dialect, session } = tx as unknown as {
      dialect: { migrate(m: unknown, s: unknown, c: unknown): Promise<void> };
      session: { execute: unknown; all: unknown };
    };
    const inThisTransaction = {
      execute: (query: SQL) => tx.execute(query),
      all: (session.all as (q: SQL) => Promise<unknown[]>).bind(session),
      transaction: (work: (t: Database) => Promise<void>) => work(tx),
    };
    await dialect.migrate(migrations, inThisTransaction, { migrationsFolder });
    const total = await countMigrations(tx);
    return { applied: total - before, total };
  });
}

/** Migrations recorded as applied (none before the first run creates drizzle's table). */
async function countMigrations(db: Database): Promise<number> {
  const [exists] = await queryRows<{ t: string | null }>(
    db,
    sql`select to_regclass('drizzle.__drizzle_migrations')::text as t`,
  );
  if (!exists?.t) return 0;
  const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
  return row?.n ?? 0;
}

/** PGlite: one process per folder, so no lock; says how many migrations it applied. */
async function migrateEmbedded(client: PGlite, db: Database): Promise<MigrationResult> {
  const before = await countMigrations(db);
  await migratePglite(drizzlePglite(client), { migrationsFolder });
  const total = await countMigrations(db);
  return { applied: total - before, total };
}

/** PGlite keeps the folder's pages in this process: one process per folder, enforced by a lock file. */
async function openPglite(folder: string | undefined, migrate: boolean, dump?: Blob): Promise<OpenDatabase> {
  const dataDir = folder && folder !== "memory://" ? folder : undefined;
  if (dataDir && dump) throw new Error("A PGlite dump is loaded in memory only, not into a data folder.");
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const lock = dataDir ? lockDataDir(dataDir) : undefined;
  try {
    const client = await PGlite.create(dataDir ? { dataDir } : dump ? { loadDataDir: dump } : {});
    const db = drizzlePglite(client, { schema }) as unknown as Database;
    if (migrate) await migrateEmbedded(client, db);
    return {
      db,
      driver: "pglite",
      migrate: () => migrateEmbedded(client, db),
      dump: () => client.dumpDataDir("none"),
      // In process: listening never drops, so it starts once.
      listen: async (channel, onMessage, onListen) => {
        const unlisten = await client.listen(channel, onMessage);
        onListen?.();
        return unlisten;
      },
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
