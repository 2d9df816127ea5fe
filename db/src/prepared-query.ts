import type { Database } from "./open-database.ts";

interface PostgresJsClient {
  unsafe(text: string, params: unknown[]): PromiseLike<unknown[]>;
}
interface PgliteClient {
  query(text: string, params: unknown[]): Promise<{ rows: unknown[] }>;
}

/** The driver client under a drizzle handle or transaction (drizzle keeps it on its session for both drivers). */
const clientOf = (db: Database): PostgresJsClient | PgliteClient =>
  (db as unknown as { session: { client: PostgresJsClient | PgliteClient } }).session.client;

/**
 * Runs SQL text that was rendered once, with its parameters, straight on the driver: no drizzle query object, no
 * re-rendering of the text per call. On PostgreSQL it goes through the client's own `unsafe`, so it is a named prepared
 * statement (parsed once per connection, then one round trip per call) exactly when `openDatabase` prepares queries.
 * Inside a transaction it runs on the transaction's connection.
 */
export async function runPrepared<T>(db: Database, text: string, params: unknown[]): Promise<T[]> {
  const client = clientOf(db);
  if ("unsafe" in client) return (await client.unsafe(text, params)) as T[];
  return (await client.query(text, params)).rows as T[];
}

/** True on PostgreSQL (postgres.js), where many connections run at once; false on PGlite, which runs one at a time. */
export const isConcurrent = (db: Database): boolean => "unsafe" in clientOf(db);
