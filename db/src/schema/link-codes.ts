import { index, integer, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { credentials } from "./credentials.ts";
import { realms } from "./realms.ts";

/**
 * One-time codes that join two credentials into one member account (`/points link`). Only the SHA-256 of the code is
 * kept; the code itself is shown once to the person who asked for it.
 */
export const linkCodes = pgTable(
  "link_codes",
  {
    codeHash: text("code_hash").primaryKey(),
    realmId: text("realm_id")
      .notNull()
      .references(() => realms.id, { onDelete: "cascade" }),
    /** The credential that asked for the code: redeeming joins it with the redeemer's. */
    credentialId: text("credential_id")
      .notNull()
      .references(() => credentials.id, { onDelete: "cascade" }),
    expiresAt: timestamp("expires_at", { withTimezone: true, precision: 3 }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true, precision: 3 }),
    usedByCredentialId: text("used_by_credential_id"),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [index("link_codes_credential_idx").on(t.credentialId)],
);

/**
 * Redemption attempts per caller in the current window, counted in one upsert outside the redemption's transaction so
 * a failed guess still counts.
 */
export const linkCodeAttempts = pgTable(
  "link_code_attempts",
  {
    realmId: text("realm_id").notNull(),
    /** Who tries: the redeeming credential, `type/source/value`. */
    caller: text("caller").notNull(),
    windowStart: timestamp("window_start", { withTimezone: true, precision: 3 }).notNull(),
    attempts: integer("attempts").notNull(),
  },
  (t) => [primaryKey({ columns: [t.realmId, t.caller] })],
);
