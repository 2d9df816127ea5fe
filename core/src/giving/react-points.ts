import { type Database, queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import type { Subject } from "../context.ts";
import { isTallyError, TallyError } from "../errors.ts";
import type { BalanceChange } from "../ledger/balance-change.ts";

/** One reaction as every platform describes it: who reacted with what on whose message. */
export interface ReactionKey {
  platform: "discord" | "slack";
  messageId: string;
  reactorId: string;
  /** Slack's name (`taco`), Discord's character (`🌮`) or custom emoji id. */
  emoji: string;
}

const DUPLICATE = "reaction already counted";

/**
 * Records a reaction's gift in the gift's own transaction. The row's primary key is the at-most-once guarantee: a
 * second delivery, or the same reaction added again after removal, finds it and the whole gift rolls back.
 */
export function recordReaction(key: ReactionKey, realmId: string, targetId: string) {
  return async (tx: Database, change: BalanceChange): Promise<void> => {
    const rows = await queryRows<{ entry_id: string }>(
      tx,
      sql`INSERT INTO reaction_gifts (platform, message_id, reactor_id, emoji, realm_id, target_id, entry_id, state)
          VALUES (${key.platform}, ${key.messageId}, ${key.reactorId}, ${key.emoji}, ${realmId}, ${targetId},
            ${change.entryId}::bigint, 'given')
          ON CONFLICT DO NOTHING RETURNING entry_id::text`,
    );
    if (rows.length === 0) throw new TallyError("CONFLICT", DUPLICATE, { duplicate: true });
  };
}

export const isDuplicateReaction = (error: unknown): boolean =>
  isTallyError(error) && error.code === "CONFLICT" && error.details?.duplicate === true;

export async function reactionCounted(db: Database, key: ReactionKey): Promise<boolean> {
  const rows = await queryRows<{ one: number }>(
    db,
    sql`SELECT 1 AS one FROM reaction_gifts WHERE platform = ${key.platform} AND message_id = ${key.messageId}
        AND reactor_id = ${key.reactorId} AND emoji = ${key.emoji}`,
  );
  return rows.length > 0;
}

/** The gift a reaction gave and has not had taken back yet. */
export async function givenReaction(db: Database, key: ReactionKey): Promise<{ entryId: string } | undefined> {
  const [row] = await queryRows<{ entry_id: string }>(
    db,
    sql`SELECT entry_id::text FROM reaction_gifts WHERE platform = ${key.platform} AND message_id = ${key.messageId}
        AND reactor_id = ${key.reactorId} AND emoji = ${key.emoji} AND state = 'given' AND entry_id IS NOT NULL`,
  );
  return row && { entryId: row.entry_id };
}

/**
 * The reactions on a message whose gifts still stand: every one, or only those of one emoji (Discord's
 * `MESSAGE_REACTION_REMOVE_ALL` and `_REMOVE_EMOJI`, when a moderator clears a message's reactions).
 */
export async function givenReactionsOn(
  db: Database,
  realmId: string,
  target: { platform: ReactionKey["platform"]; messageId: string; emoji?: string | undefined },
): Promise<ReactionKey[]> {
  const rows = await queryRows<{ reactor_id: string; emoji: string }>(
    db,
    sql`SELECT reactor_id, emoji FROM reaction_gifts WHERE platform = ${target.platform}
        AND message_id = ${target.messageId} AND realm_id = ${realmId} AND state = 'given' AND entry_id IS NOT NULL
        ${target.emoji === undefined ? sql`` : sql`AND emoji = ${target.emoji}`}
        ORDER BY created_at, reactor_id, emoji`,
  );
  return rows.map((r) => ({
    platform: target.platform,
    messageId: target.messageId,
    reactorId: r.reactor_id,
    emoji: r.emoji,
  }));
}

export async function markReaction(
  db: Database,
  key: ReactionKey,
  state: "reversed" | "kept",
  note: string | null,
): Promise<void> {
  await db.execute(
    sql`UPDATE reaction_gifts SET state = ${state}, note = ${note} WHERE platform = ${key.platform}
        AND message_id = ${key.messageId} AND reactor_id = ${key.reactorId} AND emoji = ${key.emoji}
        AND state = 'given'`,
  );
}

/**
 * Marks that the giver was told their allowance ran out this period; true for the first caller of the period only,
 * so a member reacting on and on is told once, not spammed.
 */
export async function claimExhaustionNotice(
  db: Database,
  input: { realmId: string; currencyId: string; accountId: string; periodStart: Date; now: Date },
): Promise<boolean> {
  const rows = await queryRows<{ one: number }>(
    db,
    sql`INSERT INTO allowance_usage (currency_id, account_id, period_start, realm_id, used, notified_at)
        VALUES (${input.currencyId}, ${input.accountId}, ${input.periodStart.toISOString()}::timestamptz,
          ${input.realmId}, 0, ${input.now.toISOString()}::timestamptz)
        ON CONFLICT (currency_id, account_id, period_start) DO UPDATE SET notified_at = excluded.notified_at
          WHERE allowance_usage.notified_at IS NULL
        RETURNING 1 AS one`,
  );
  return rows.length > 0;
}

export interface ReactionInput extends ReactionKey {
  /** The platform id of the message's author, who receives the gift. */
  targetId: string;
  giver: Subject;
  target: Subject;
  /** Whole units from the binding's rule. */
  amount: number;
  currencyId?: string | undefined;
  targetJoinedAt?: Date | undefined;
}

export type ReactionOutcome =
  | { outcome: "given"; change: BalanceChange }
  | { outcome: "duplicate" }
  /** A rule or the allowance said no; `notify` is true once per period for an exhausted allowance. */
  | { outcome: "refused"; error: TallyError; notify: boolean }
  | { outcome: "reversed"; entryId: string }
  /** Removed, but the points were spent and the currency forbids overdraft: the gift stays (recorded). */
  | { outcome: "kept"; entryId: string }
  /** A message's reactions were cleared at once: each standing gift was reversed, or kept as a single removal would. */
  | { outcome: "cleared"; reversed: string[]; kept: string[] }
  | { outcome: "nothing" };
