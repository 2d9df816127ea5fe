import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { realms } from "./realms.ts";

export const allowancePeriods = ["day", "week", "month"] as const;
export type AllowancePeriod = (typeof allowancePeriods)[number];

export const currencies = pgTable(
  "currencies",
  {
    id: text("id").primaryKey(),
    realmId: text("realm_id")
      .notNull()
      .references(() => realms.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    emoji: text("emoji"),
    isDefault: boolean("is_default").notNull().default(false),
    allowNegative: boolean("allow_negative").notNull().default(false),
    scale: integer("scale").notNull().default(0),
    /** Minor units each member may give away per period (`/points thank`, reactions); null: no allowance. */
    allowanceAmount: bigint("allowance_amount", { mode: "bigint" }),
    allowancePeriod: text("allowance_period", { enum: allowancePeriods }),
    /** Managers give without drawing on an allowance only when the realm says so. */
    allowanceManagersExempt: boolean("allowance_managers_exempt").notNull().default(false),
    metadata: jsonb("metadata").$type<Record<string, unknown>>(),
    /** Set while archived: no new entries in it, its balances stay readable. */
    archivedAt: timestamp("archived_at", { withTimezone: true, precision: 3 }),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    index("currencies_realm_idx").on(t.realmId),
    uniqueIndex("currencies_realm_name_key").on(t.realmId, t.name),
    // Exactly one default per realm: at most one by this index, at least one by core.
    uniqueIndex("currencies_one_default_key").on(t.realmId).where(sql`${t.isDefault}`),
  ],
);
