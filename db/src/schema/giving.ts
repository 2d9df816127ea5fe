import { bigint, index, integer, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { realms } from "./realms.ts";

/**
 * How much of a currency's allowance an account has given in one period. The row is the unit of the atomic check:
 * a gift raises `used` with a conditional upsert that refuses to pass the allowance, in the gift's own transaction.
 */
export const allowanceUsage = pgTable(
  "allowance_usage",
  {
    currencyId: text("currency_id").notNull(),
    accountId: text("account_id").notNull(),
    periodStart: timestamp("period_start", { withTimezone: true, precision: 3 }).notNull(),
    realmId: text("realm_id").notNull(),
    /** Minor units given in the period. */
    used: bigint("used", { mode: "bigint" }).notNull(),
    /** When the giver was last told privately that the allowance ran out (reactions say it once per period). */
    notifiedAt: timestamp("notified_at", { withTimezone: true, precision: 3 }),
  },
  (t) => [primaryKey({ columns: [t.currencyId, t.accountId, t.periodStart] })],
);

/** A realm's anti-abuse rules for peer gifts (thanks and reactions); every rule is off while null. */
export const givingRules = pgTable("giving_rules", {
  realmId: text("realm_id")
    .primaryKey()
    .references(() => realms.id, { onDelete: "cascade" }),
  /** Least time between two gifts from one giver to the same target. */
  giveCooldownSeconds: integer("give_cooldown_seconds"),
  /** Most minor units one giver may give one target per day (the realm's day). */
  dailyCapPerTarget: bigint("daily_cap_per_target", { mode: "bigint" }),
  /** Gifts to platform accounts that joined less than this long ago are refused (when the platform says when). */
  minAccountAgeMinutes: integer("min_account_age_minutes"),
  /** Bot commands one member may run per minute; null: no limit. */
  commandsPerMinute: integer("commands_per_minute"),
  updatedAt: timestamp("updated_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

/** What one giver has given one target: the last gift and the day's total, checked and raised atomically. */
export const givingPairs = pgTable(
  "giving_pairs",
  {
    currencyId: text("currency_id").notNull(),
    giverAccountId: text("giver_account_id").notNull(),
    targetAccountId: text("target_account_id").notNull(),
    realmId: text("realm_id").notNull(),
    lastAt: timestamp("last_at", { withTimezone: true, precision: 3 }).notNull(),
    dayStart: timestamp("day_start", { withTimezone: true, precision: 3 }).notNull(),
    dayTotal: bigint("day_total", { mode: "bigint" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.currencyId, t.giverAccountId, t.targetAccountId] })],
);

export const reactionStates = ["given", "reversed", "kept"] as const;
export type ReactionState = (typeof reactionStates)[number];

/**
 * One row per (platform, message, reactor, emoji), ever: its primary key is what makes a reaction give at most once,
 * however often the platform delivers the event or the member adds, removes and adds it again.
 */
export const reactionGifts = pgTable(
  "reaction_gifts",
  {
    platform: text("platform", { enum: ["discord", "slack"] }).notNull(),
    messageId: text("message_id").notNull(),
    reactorId: text("reactor_id").notNull(),
    emoji: text("emoji").notNull(),
    realmId: text("realm_id").notNull(),
    targetId: text("target_id").notNull(),
    /** The gift's ledger entry (a refused reaction leaves no row, so it may give once it is allowed). */
    entryId: bigint("entry_id", { mode: "bigint" }),
    state: text("state", { enum: reactionStates }).notNull(),
    /** Why a removal left the gift in place. */
    note: text("note"),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.platform, t.messageId, t.reactorId, t.emoji] }),
    index("reaction_gifts_realm_idx").on(t.realmId),
  ],
);
