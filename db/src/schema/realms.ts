import { pgTable, text, timestamp } from "drizzle-orm/pg-core";

export const realms = pgTable("realms", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  /** IANA time zone for period boundaries (leaderboards by day, week, month); UTC when null. */
  timezone: text("timezone"),
  createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});
