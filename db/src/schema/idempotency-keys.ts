import { index, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

/**
 * One row per accepted write that carried a key. A transfer or batch is one request but several ledger entries,
 * so the key and the stored result live here rather than on the entries.
 */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    realmId: text("realm_id").notNull(),
    key: text("key").notNull(),
    requestHash: text("request_hash").notNull(),
    result: jsonb("result").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  // The pruner deletes the oldest keys first.
  (t) => [primaryKey({ columns: [t.realmId, t.key] }), index("idempotency_keys_created_idx").on(t.createdAt)],
);
