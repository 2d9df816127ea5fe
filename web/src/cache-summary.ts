import type { BalanceService, RealmSummary } from "@tally/core";

/** How long the overview reuses a realm's summary: its chart and rankings scan the month's entries. */
export const SUMMARY_TTL_MS = 10_000;

/**
 * The overview's summary, computed at most once per realm, currency and time zone every 10 seconds, so managers
 * reloading the page do not each scan the ledger. Recent activity is read live beside it.
 */
export function cacheSummary(core: BalanceService) {
  const cache = new Map<string, { at: number; summary: Promise<RealmSummary> }>();
  return (realmId: string, currencyId: string, timeZone: string, now: Date): Promise<RealmSummary> => {
    const key = `${realmId}\u0000${currencyId}\u0000${timeZone}`;
    const hit = cache.get(key);
    if (hit && Math.abs(now.getTime() - hit.at) < SUMMARY_TTL_MS) return hit.summary;
    if (cache.size > 1000) cache.clear();
    const summary = core.dashboard.summarize(realmId, currencyId, { now, timeZone });
    cache.set(key, { at: now.getTime(), summary });
    summary.catch(() => cache.delete(key));
    return summary;
  };
}
