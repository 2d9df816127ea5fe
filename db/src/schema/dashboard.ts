import { index, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { realms } from "./realms.ts";

/** Who opened a dashboard session: a chat manager through a sign-in link, or an operator with an API key. */
export const dashboardSignInMethods = ["discord", "slack", "api_key"] as const;
export type DashboardSignInMethod = (typeof dashboardSignInMethods)[number];

/** One-time sign-in links sent in chat by `/points dashboard`: 10 minutes, single use, only the SHA-256 stored. */
export const dashboardLinks = pgTable("dashboard_links", {
  tokenHash: text("token_hash").primaryKey(),
  realmId: text("realm_id")
    .notNull()
    .references(() => realms.id, { onDelete: "cascade" }),
  method: text("method", { enum: dashboardSignInMethods }).notNull(),
  /** The chat user id (or API key id) the session will act as. */
  subjectId: text("subject_id").notNull(),
  expiresAt: timestamp("expires_at", { withTimezone: true, precision: 3 }).notNull(),
  usedAt: timestamp("used_at", { withTimezone: true, precision: 3 }),
  createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

/** Server-side dashboard sessions: the cookie holds a random id, the table its SHA-256. */
export const dashboardSessions = pgTable(
  "dashboard_sessions",
  {
    idHash: text("id_hash").primaryKey(),
    realmId: text("realm_id")
      .notNull()
      .references(() => realms.id, { onDelete: "cascade" }),
    method: text("method", { enum: dashboardSignInMethods }).notNull(),
    subjectId: text("subject_id").notNull(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true, precision: 3 }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [index("dashboard_sessions_realm_idx").on(t.realmId)],
);
