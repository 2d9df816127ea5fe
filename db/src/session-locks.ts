import postgres from "postgres";
import { connectionTarget } from "./connection-target.ts";

/** PostgreSQL session advisory locks on one connection of their own: held while it lives, released when it closes. */
export interface SessionLocks {
  /** Takes the lock `(namespace, id)` unless another session holds it; true when this session holds it now. */
  tryLock(namespace: number, id: number): Promise<boolean>;
  unlock(namespace: number, id: number): Promise<void>;
  /** Resolves when the connection is lost (not by `close`): every lock it held is gone with it. */
  lost: Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens the connection that holds the locks. It must reach PostgreSQL directly (or through a session-mode pool):
 * through PgBouncer in transaction mode a session lock would stay on whichever server connection took it.
 */
export async function openSessionLocks(url: string): Promise<SessionLocks> {
  let closing = false;
  let markLost: () => void = () => {};
  const lost = new Promise<void>((resolve) => {
    markLost = resolve;
  });
  const target = connectionTarget(url);
  const sql = postgres(target.url, {
    ...target.socket,
    max: 1,
    prepare: false,
    onnotice: () => {},
    connect_timeout: 10,
    // postgres.js recycles a connection after 30-60 minutes by default, which would drop the locks (0: never).
    max_lifetime: 0,
    idle_timeout: 0,
    // A reconnect would be a new session without the locks: the holder must learn its locks are gone instead.
    onclose: () => {
      if (!closing) markLost();
    },
  });
  await sql`select 1`;
  return {
    async tryLock(namespace, id) {
      const [row] = await sql<{ ok: boolean }[]>`select pg_try_advisory_lock(${namespace}::int, ${id}::int) as ok`;
      return row?.ok === true;
    },
    async unlock(namespace, id) {
      await sql`select pg_advisory_unlock(${namespace}::int, ${id}::int)`;
    },
    lost,
    async close() {
      closing = true;
      await sql.end({ timeout: 2 });
    },
  };
}
