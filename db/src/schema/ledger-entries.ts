import { sql } from "drizzle-orm";
import { bigint, index, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

export const entryKinds = ["adjust", "transfer", "link", "import", "reversal", "thank", "reaction"] as const;
export type EntryKind = (typeof entryKinds)[number];
export const initiatorTypes = ["api_key", "discord", "slack", "cli"] as const;
export type InitiatorType = (typeof initiatorTypes)[number];
export const vias = ["api", "discord", "slack", "cli", "dashboard"] as const;
export type Via = (typeof vias)[number];

/** Append-only: rows are never updated or deleted; a correction is a new entry. */
export const ledgerEntries = pgTable(
  "ledger_entries",
  {
    id: bigint("id", { mode: "bigint" }).primaryKey().generatedAlwaysAsIdentity(),
    realmId: text("realm_id").notNull(),
    currencyId: text("currency_id").notNull(),
    accountId: text("account_id").notNull(),
    delta: bigint("delta", { mode: "bigint" }).notNull(),
    balanceAfter: bigint("balance_after", { mode: "bigint" }).notNull(),
    kind: text("kind", { enum: entryKinds }).notNull(),
    description: text("description"),
    initiatorType: text("initiator_type", { enum: initiatorTypes }).notNull(),
    initiatorId: text("initiator_id").notNull(),
    via: text("via", { enum: vias }).notNull(),
    credentialId: text("credential_id"),
    idempotencyKey: text("idempotency_key"),
    /** On a `reversal`: the entry it undoes. Unique, so an entry is reversed at most once even under concurrency. */
    reversesEntryId: bigint("reverses_entry_id", { mode: "bigint" }),
    /** Shared by entries that stand or fall together (a transfer's two legs), so a reversal undoes all of them. */
    operationId: text("operation_id"),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    index("ledger_realm_id_idx").on(t.realmId, t.id),
    index("ledger_account_idx").on(t.accountId, t.currencyId, t.id),
    // Period leaderboards: the entries of one currency in a time window.
    index("ledger_realm_currency_created_idx").on(t.realmId, t.currencyId, t.createdAt),
    uniqueIndex("ledger_reverses_entry_key").on(t.reversesEntryId).where(sql`${t.reversesEntryId} IS NOT NULL`),
    index("ledger_operation_idx").on(t.operationId).where(sql`${t.operationId} IS NOT NULL`),
  ],
);
