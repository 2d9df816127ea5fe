import type { Currency, Realm } from "@tally/db";
import type { Page } from "./history.ts";
import type { LeaderboardRow } from "./leaderboard.ts";
import type { Period } from "./period-leaderboard.ts";

/** What a public page may show of a currency. */
export type PublicCurrency = Pick<Currency, "id" | "name" | "emoji" | "scale">;

/**
 * A realm's leaderboard for anyone to read (`/r/{realmId}`): display names and amounts, never a credential, a user id
 * or an account id.
 */
export interface PublicLeaderboard {
  realm: { id: string; name: string; timeZone: string };
  /** The currencies a visitor may choose from: those not archived. */
  currencies: PublicCurrency[];
  currency: PublicCurrency;
  period: Period;
  /** When the period began (null for `all`, which ranks balances). */
  since: Date | null;
  rows: { rank: number; label: string; amount: bigint }[];
}

/** Shown for a holder without a display name, or whose name looks like an email address or a wallet. */
export const ANONYMOUS_LABEL = "A member";

// A name someone set to their email address or wallet is contact data, not a display name.
const CONTACT_LIKE = /[^\s@]+@[^\s@]+\.[^\s@]+|0x[0-9a-f]{40}/i;

export function publicLabel(name: string | null): string {
  const trimmed = name?.trim();
  return trimmed && !CONTACT_LIKE.test(trimmed) ? trimmed : ANONYMOUS_LABEL;
}

const publicCurrency = (c: Currency): PublicCurrency => ({ id: c.id, name: c.name, emoji: c.emoji, scale: c.scale });

/** Keeps the public parts of a leaderboard page: ranks, labels and the amount ranked by. */
export function toPublicLeaderboard(
  realm: Realm,
  currencies: Currency[],
  currency: Currency,
  board: Page<LeaderboardRow> & { period: Period; since: Date | null },
): PublicLeaderboard {
  return {
    realm: { id: realm.id, name: realm.name, timeZone: realm.timezone ?? "UTC" },
    currencies: currencies.filter((c) => !c.archivedAt).map(publicCurrency),
    currency: publicCurrency(currency),
    period: board.period,
    since: board.since,
    rows: board.items.map((row) => ({
      rank: row.rank,
      label: publicLabel(row.name),
      amount: board.period === "all" ? row.balance : (row.received ?? 0n),
    })),
  };
}
