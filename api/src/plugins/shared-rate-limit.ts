import { leaseRateLimit, pruneRateLimitWindows } from "@tally/core";
import type { Database } from "@tally/db";

type Reply = (error: Error | null, result?: { current: number; ttl: number }) => void;

interface KeyWindow {
  windowStart: number;
  /** Requests this process may still grant in the window without asking the database. */
  tokens: number;
  /** The key's count across processes as of this process's last lease (at most `max`). */
  leased: number;
  /** The database said the budget is spent: no more leases this window. */
  spent: boolean;
  lease?: Promise<void> | undefined;
}

/** Share of the limit leased at a time: 3 processes leave at most ~4.5% of a window unspent (1.5 slices each). */
const SLICE = 0.01;

/**
 * A `@fastify/rate-limit` store that holds the per-key limit across every API process on one PostgreSQL, without a
 * round trip per request: each process leases a slice of the window's budget (`leaseRateLimit`, one atomic
 * increment) and spends it locally, leasing the next slice in the background when half the current one is gone. A
 * request waits on the database only for a key's first request in a window, or when its slice ran out before the
 * next lease came back. It never grants more than the limit in a window; the slices other processes still hold when
 * the budget runs out are the most it can under-grant. Windows are fixed (aligned to the window's length), so every
 * process counts the same ones.
 */
export function sharedRateLimitStore(db: Database) {
  const windows = new Map<string, KeyWindow>();
  let lastPrune = 0;

  function lease(key: string, state: KeyWindow, max: number): Promise<void> {
    state.lease ??= leaseRateLimit(db, { key, windowStart: state.windowStart, want: sliceOf(max), max })
      .then(({ granted, leased }) => {
        state.tokens += granted;
        state.leased = Math.min(max, leased);
        if (granted < sliceOf(max)) state.spent = true;
      })
      .finally(() => {
        state.lease = undefined;
      });
    return state.lease;
  }

  async function take(key: string, timeWindow: number, max: number): Promise<{ current: number; ttl: number }> {
    const now = Date.now();
    const windowStart = now - (now % timeWindow);
    const ttl = windowStart + timeWindow - now;
    let state = windows.get(key);
    if (!state || state.windowStart !== windowStart) {
      state = { windowStart, tokens: 0, leased: 0, spent: false };
      windows.set(key, state);
      prune(windowStart);
    }
    while (state.tokens === 0 && !state.spent) await lease(key, state, max);
    if (state.tokens === 0) return { current: max + 1, ttl };
    state.tokens--;
    if (state.tokens < sliceOf(max) / 2 && !state.spent && !state.lease) {
      // Background: the next request must not wait for it; a failure only means the next one tries again.
      lease(key, state, max).catch(() => {});
    }
    return { current: Math.max(1, state.leased - state.tokens), ttl };
  }

  /** Drops windows that ended, here and (at most once a minute per process) in the database. */
  function prune(currentStart: number): void {
    for (const [key, state] of windows) if (state.windowStart < currentStart) windows.delete(key);
    if (currentStart - lastPrune < 60_000) return;
    lastPrune = currentStart;
    pruneRateLimitWindows(db, currentStart).catch(() => {});
  }

  return class SharedRateLimitStore {
    incr(key: string, reply: Reply, timeWindow: number, max: number): void {
      take(key, timeWindow, max).then(
        (result) => reply(null, result),
        (error: Error) => reply(error),
      );
    }

    child(): SharedRateLimitStore {
      return this;
    }
  };
}

const sliceOf = (max: number) => Math.max(1, Math.ceil(max * SLICE));
