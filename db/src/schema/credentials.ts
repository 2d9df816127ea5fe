import { index, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { accounts } from "./accounts.ts";
import { realms } from "./realms.ts";

export const credentialTypes = ["discord-id", "twitter-id", "email", "wallet", "custom"] as const;
export type CredentialType = (typeof credentialTypes)[number];

export const credentials = pgTable(
  "credentials",
  {
    id: text("id").primaryKey(),
    realmId: text("realm_id")
      .notNull()
      .references(() => realms.id, { onDelete: "cascade" }),
    type: text("type", { enum: credentialTypes }).notNull(),
    /** Empty for every type but `custom`, so the unique key below needs no NULL handling. */
    source: text("source").notNull().default(""),
    value: text("value").notNull(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    metadata: jsonb("metadata").$type<Record<string, unknown>>(),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("credentials_identity_key").on(t.realmId, t.type, t.source, t.value),
    index("credentials_account_idx").on(t.accountId),
  ],
);
