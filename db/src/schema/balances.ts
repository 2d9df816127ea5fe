import { bigint, index, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { accounts } from "./accounts.ts";
import { currencies } from "./currencies.ts";

export const balances = pgTable(
  "balances",
  {
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    currencyId: text("currency_id")
      .notNull()
      .references(() => currencies.id),
    realmId: text("realm_id").notNull(),
    /** Minor units of the currency. */
    balance: bigint("balance", { mode: "bigint" }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.currencyId] }),
    index("balances_leaderboard_idx").on(t.currencyId, t.balance.desc(), t.accountId),
  ],
);
