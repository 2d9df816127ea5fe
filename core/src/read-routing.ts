import { AsyncLocalStorage } from "node:async_hooks";
import type { Database } from "@tally/db";

const scope = new AsyncLocalStorage<{ wrote: boolean }>();

/**
 * Runs `work` as one request: once it has written, its reads go to the primary, never to a replica that may not
 * have the write yet. The API wraps every request in it.
 */
export function inRequestScope<T>(work: () => T): T {
  return scope.run({ wrote: false }, work);
}

/** Marks the current request (if any) as having written. */
export function noteWrite(): void {
  const store = scope.getStore();
  if (store) store.wrote = true;
}

/** Where a read that may lag goes: the replica, unless there is none or this request has written. */
export function readHandle(primary: Database, replica: Database | undefined): Database {
  return replica && !scope.getStore()?.wrote ? replica : primary;
}
