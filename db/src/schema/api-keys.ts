import { pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { realms } from "./realms.ts";

export const apiKeys = pgTable("api_keys", {
  id: text("id").primaryKey(),
  realmId: text("realm_id")
    .notNull()
    .references(() => realms.id, { onDelete: "cascade" }),
  name: text("name").notNull(),
  /** SHA-256 of the whole key, hex; the key itself is never stored. */
  keyHash: text("key_hash").notNull().unique(),
  /** The first characters of the key, to tell keys apart in listings. */
  prefix: text("prefix").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  revokedAt: timestamp("revoked_at", { withTimezone: true, precision: 3 }),
});
