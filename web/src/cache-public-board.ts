import type { BalanceService, Period, PublicLeaderboard } from "@tally/core";

/** How long a public page reuses a leaderboard; its `cache-control: max-age` says the same to browsers and proxies. */
export const PUBLIC_BOARD_TTL_MS = 30_000;
const MAX_ENTRIES = 1000;

/**
 * The public pages' leaderboards, computed at most once per realm, period and currency every 30 seconds: the page
 * needs no sign-in, so anyone may reload it as often as they like. Whether the page is on is checked live by the
 * caller on every request; a refused or failed read is not kept.
 */
export function cachePublicBoard(core: BalanceService) {
  const cache = new Map<string, { at: number; board: Promise<PublicLeaderboard> }>();
  return (realmId: string, period: Period, currencyId: string | undefined, now: Date): Promise<PublicLeaderboard> => {
    const key = `${realmId}\u0000${period}\u0000${currencyId ?? ""}`;
    const hit = cache.get(key);
    if (hit && Math.abs(now.getTime() - hit.at) < PUBLIC_BOARD_TTL_MS) return hit.board;
    if (cache.size >= MAX_ENTRIES) cache.clear();
    const board = core.publicLeaderboard(realmId, { period, currencyId });
    cache.set(key, { at: now.getTime(), board });
    board.catch(() => cache.delete(key));
    return board;
  };
}
