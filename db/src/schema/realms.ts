import { boolean, pgTable, text, timestamp } from "drizzle-orm/pg-core";

export const realms = pgTable("realms", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  /** IANA time zone for period boundaries (leaderboards by day, week, month); UTC when null. */
  timezone: text("timezone"),
  /** Whether `/r/{realmId}` shows the leaderboard to anyone, without signing in; off until a manager switches it on. */
  publicLeaderboard: boolean("public_leaderboard").notNull().default(false),
  createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});
