import { bigint, integer, pgTable, primaryKey, text } from "drizzle-orm/pg-core";

/**
 * Requests granted per rate-limit key (an API key id) and fixed window, across every API process: each process
 * leases a slice of the window's budget here and spends it locally, so a request seldom waits on this table.
 */
export const rateLimitWindows = pgTable(
  "rate_limit_windows",
  {
    key: text("key").notNull(),
    /** The window's start, in milliseconds since the epoch (a multiple of the window's length). */
    windowStart: bigint("window_start", { mode: "number" }).notNull(),
    /** Requests leased so far; it may pass the limit (the surplus is never granted). */
    leased: integer("leased").notNull(),
  },
  (t) => [primaryKey({ columns: [t.key, t.windowStart] })],
);
