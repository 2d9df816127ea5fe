import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { realms } from "./realms.ts";

export const webhookEventTypes = ["balance.changed", "credential.linked", "webhook.test"] as const;
export type WebhookEventType = (typeof webhookEventTypes)[number];

/** A receiver of a realm's events. `secret` signs; `previousSecret` also signs until it expires after a rotation. */
export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    id: text("id").primaryKey(),
    realmId: text("realm_id")
      .notNull()
      .references(() => realms.id, { onDelete: "cascade" }),
    url: text("url").notNull(),
    /** Event types delivered; null means every type. */
    events: text("events").array(),
    description: text("description"),
    secret: text("secret").notNull(),
    previousSecret: text("previous_secret"),
    previousSecretExpiresAt: timestamp("previous_secret_expires_at", { withTimezone: true, precision: 3 }),
    enabled: boolean("enabled").notNull().default(true),
    disabledReason: text("disabled_reason"),
    /** Start of the current run of failed attempts; null after a success. */
    failingSince: timestamp("failing_since", { withTimezone: true, precision: 3 }),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [index("webhook_endpoints_realm_idx").on(t.realmId)],
);

/**
 * Written by triggers in the transaction of the ledger entry or credential change it reports, so it commits or rolls
 * back with it. Kept small: the payload is built from the entry when it is sent. `sequence` is numbered per realm
 * after commit by the sequencer.
 */
export const webhookOutbox = pgTable(
  "webhook_outbox",
  {
    id: bigint("id", { mode: "bigint" }).primaryKey().generatedAlwaysAsIdentity(),
    realmId: text("realm_id").notNull(),
    type: text("type", { enum: webhookEventTypes }).notNull(),
    entryId: bigint("entry_id", { mode: "bigint" }),
    credentialId: text("credential_id"),
    accountId: text("account_id"),
    sequence: bigint("sequence", { mode: "bigint" }),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [index("webhook_outbox_unsequenced_idx").on(t.realmId, t.id).where(sql`${t.sequence} IS NULL`)],
);

/** The last sequence number handed out per realm; only the sequencer writes it, under a per-realm advisory lock. */
export const webhookSequences = pgTable("webhook_sequences", {
  realmId: text("realm_id").primaryKey(),
  lastSequence: bigint("last_sequence", { mode: "bigint" }).notNull(),
});

export const deliveryStatuses = ["pending", "delivering", "succeeded", "failed"] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

/** One event for one endpoint, retried until it succeeds or its retry window closes. */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: bigint("id", { mode: "bigint" }).primaryKey().generatedAlwaysAsIdentity(),
    endpointId: text("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    realmId: text("realm_id").notNull(),
    /** The `webhook-id` header: the same on every attempt and every endpoint. */
    eventId: text("event_id").notNull(),
    type: text("type", { enum: webhookEventTypes }).notNull(),
    outboxId: bigint("outbox_id", { mode: "bigint" }),
    /** Only for events with no outbox row (`webhook.test`). */
    payload: jsonb("payload"),
    status: text("status", { enum: deliveryStatuses }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    /** While delivering: after this instant the attempt is presumed lost (a crash) and the delivery is taken again. */
    leaseUntil: timestamp("lease_until", { withTimezone: true, precision: 3 }),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    /** The receiver's answer, truncated. */
    lastResponse: text("last_response"),
    lastAttemptAt: timestamp("last_attempt_at", { withTimezone: true, precision: 3 }),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    index("webhook_deliveries_due_idx").on(t.nextAttemptAt).where(sql`${t.status} IN ('pending', 'delivering')`),
    index("webhook_deliveries_endpoint_idx").on(t.endpointId, t.id),
  ],
);
