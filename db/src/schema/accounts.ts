import { index, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { realms } from "./realms.ts";

export const accountKinds = ["member", "ghost"] as const;
export type AccountKind = (typeof accountKinds)[number];

export const accounts = pgTable(
  "accounts",
  {
    id: text("id").primaryKey(),
    realmId: text("realm_id")
      .notNull()
      .references(() => realms.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: accountKinds }).notNull(),
    userId: text("user_id"),
    email: text("email"),
    name: text("name"),
    metadata: jsonb("metadata").$type<Record<string, unknown>>(),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("accounts_realm_user_key").on(t.realmId, t.userId),
    index("accounts_realm_created_idx").on(t.realmId, t.createdAt, t.id),
  ],
);
