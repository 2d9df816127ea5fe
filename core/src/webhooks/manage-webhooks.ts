import {
  type Database,
  queryRows,
  type WebhookEventType,
  webhookDeliveries,
  webhookEndpoints,
  webhookEventTypes,
} from "@tally/db";
import { and, desc, eq, lt, sql } from "drizzle-orm";
import { TallyError } from "../errors.ts";
import { newId } from "../ids.ts";
import { checkPublicTarget, checkWebhookUrl } from "./check-url.ts";
import { newWebhookSecret } from "./sign-event.ts";

export type WebhookEndpoint = typeof webhookEndpoints.$inferSelect;
export type WebhookDelivery = typeof webhookDeliveries.$inferSelect;

/** Event types a subscription may name; `webhook.test` is sent on request whatever the filter. */
export const subscribableEvents = webhookEventTypes.filter((t) => t !== "webhook.test");

/** How long the previous secret keeps signing after a rotation, so receivers can switch without losing events. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;

export interface WebhookInput {
  url?: string | undefined;
  /** Omitted or null: every event type. */
  events?: string[] | null | undefined;
  description?: string | null | undefined;
  enabled?: boolean | undefined;
}

export interface WebhookOptions {
  /** TALLY_WEBHOOK_ALLOW_PRIVATE: whether loopback and private addresses are acceptable targets. */
  allowPrivate: boolean;
}

async function checkedUrl(input: string, options: WebhookOptions): Promise<string> {
  const url = checkWebhookUrl(input);
  if (!options.allowPrivate) await checkPublicTarget(url);
  return url.toString();
}

function checkedEvents(events: string[] | null | undefined): WebhookEventType[] | null {
  if (events === undefined || events === null) return null;
  if (events.length === 0)
    throw new TallyError("VALIDATION", "events: name at least one event type, or omit it for all.");
  for (const event of events) {
    if (!(subscribableEvents as readonly string[]).includes(event)) {
      throw new TallyError(
        "VALIDATION",
        `events: unknown event type "${event}"; known types are ${subscribableEvents.join(", ")}.`,
      );
    }
  }
  return [...new Set(events)] as WebhookEventType[];
}

/** Creates an endpoint; the answer is the only time its secret is shown. */
export async function createWebhook(
  db: Database,
  realmId: string,
  input: WebhookInput & { url: string },
  options: WebhookOptions,
): Promise<WebhookEndpoint> {
  const [created] = await db
    .insert(webhookEndpoints)
    .values({
      id: newId(),
      realmId,
      url: await checkedUrl(input.url, options),
      events: checkedEvents(input.events),
      description: input.description ?? null,
      secret: newWebhookSecret(),
      enabled: input.enabled ?? true,
    })
    .returning();
  if (!created) throw new Error("webhook endpoint not created");
  return created;
}

export async function listWebhooks(db: Database, realmId: string): Promise<WebhookEndpoint[]> {
  return db
    .select()
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.realmId, realmId))
    .orderBy(webhookEndpoints.createdAt, webhookEndpoints.id);
}

export async function getWebhook(db: Database, realmId: string, id: string): Promise<WebhookEndpoint> {
  const [found] = await db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.realmId, realmId), eq(webhookEndpoints.id, id)));
  if (!found) throw new TallyError("NOT_FOUND", `No webhook "${id}" in this realm.`);
  return found;
}

/** Changes url, events, description or enabled; enabling again clears the failure record. */
export async function updateWebhook(
  db: Database,
  realmId: string,
  id: string,
  input: WebhookInput,
  options: WebhookOptions,
): Promise<WebhookEndpoint> {
  await getWebhook(db, realmId, id);
  const changes: Partial<WebhookEndpoint> = { updatedAt: new Date() };
  if (input.url !== undefined) changes.url = await checkedUrl(input.url, options);
  if (input.events !== undefined) changes.events = checkedEvents(input.events);
  if (input.description !== undefined) changes.description = input.description;
  if (input.enabled !== undefined) {
    changes.enabled = input.enabled;
    if (input.enabled) Object.assign(changes, { disabledReason: null, failingSince: null });
    else changes.disabledReason = "disabled by an operator";
  }
  const [updated] = await db
    .update(webhookEndpoints)
    .set(changes)
    .where(and(eq(webhookEndpoints.realmId, realmId), eq(webhookEndpoints.id, id)))
    .returning();
  if (!updated) throw new TallyError("NOT_FOUND", `No webhook "${id}" in this realm.`);
  return updated;
}

export async function deleteWebhook(db: Database, realmId: string, id: string): Promise<void> {
  const deleted = await db
    .delete(webhookEndpoints)
    .where(and(eq(webhookEndpoints.realmId, realmId), eq(webhookEndpoints.id, id)))
    .returning({ id: webhookEndpoints.id });
  if (deleted.length === 0) throw new TallyError("NOT_FOUND", `No webhook "${id}" in this realm.`);
}

/** A new secret, shown once; the old one keeps signing alongside it for ROTATION_OVERLAP_MS. */
export async function rotateWebhookSecret(
  db: Database,
  realmId: string,
  id: string,
): Promise<{ endpoint: WebhookEndpoint; secret: string; previousSecretExpiresAt: Date }> {
  const secret = newWebhookSecret();
  const expires = new Date(Date.now() + ROTATION_OVERLAP_MS);
  const [endpoint] = await db
    .update(webhookEndpoints)
    .set({
      secret,
      previousSecret: sql`${webhookEndpoints.secret}`,
      previousSecretExpiresAt: expires,
      updatedAt: new Date(),
    })
    .where(and(eq(webhookEndpoints.realmId, realmId), eq(webhookEndpoints.id, id)))
    .returning();
  if (!endpoint) throw new TallyError("NOT_FOUND", `No webhook "${id}" in this realm.`);
  return { endpoint, secret, previousSecretExpiresAt: expires };
}

/** An endpoint's deliveries, newest first, in pages; `cursor` is the last id of the previous page. */
export async function listDeliveries(
  db: Database,
  realmId: string,
  endpointId: string,
  query: { cursor?: string | undefined; limit?: number | undefined } = {},
): Promise<{ items: WebhookDelivery[]; nextCursor: string | null }> {
  await getWebhook(db, realmId, endpointId);
  const limit = query.limit ?? 50;
  let before: bigint | undefined;
  if (query.cursor !== undefined) {
    if (!/^\d{1,19}$/.test(query.cursor)) throw new TallyError("VALIDATION", "cursor: not a cursor from this list.");
    before = BigInt(query.cursor);
  }
  const rows = await db
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.endpointId, endpointId),
        before === undefined ? undefined : lt(webhookDeliveries.id, before),
      ),
    )
    .orderBy(desc(webhookDeliveries.id))
    .limit(limit + 1);
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? last.id.toString() : null };
}

/** Sends an event again as a new delivery with the same `webhook-id`, so a receiver that has it can drop it. */
export async function redeliver(
  db: Database,
  realmId: string,
  endpointId: string,
  deliveryId: string,
): Promise<WebhookDelivery> {
  await getWebhook(db, realmId, endpointId);
  if (!/^\d{1,19}$/.test(deliveryId))
    throw new TallyError("NOT_FOUND", `No delivery "${deliveryId}" for this webhook.`);
  const [copy] = await queryRows<{ id: string | bigint }>(
    db,
    sql`INSERT INTO webhook_deliveries (endpoint_id, realm_id, event_id, type, outbox_id, payload)
      SELECT endpoint_id, realm_id, event_id, type, outbox_id, payload FROM webhook_deliveries
      WHERE id = ${deliveryId}::bigint AND endpoint_id = ${endpointId} RETURNING id`,
  );
  if (!copy) throw new TallyError("NOT_FOUND", `No delivery "${deliveryId}" for this webhook.`);
  const [delivery] = await db
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.id, BigInt(copy.id)));
  if (!delivery) throw new Error("redelivery vanished");
  return delivery;
}

/** Queues a `webhook.test` event for one endpoint, to check its receiver and signature (sent while it is enabled). */
export async function sendTestEvent(db: Database, realmId: string, endpointId: string): Promise<WebhookDelivery> {
  const endpoint = await getWebhook(db, realmId, endpointId);
  const [delivery] = await db
    .insert(webhookDeliveries)
    .values({
      endpointId: endpoint.id,
      realmId,
      eventId: `msg_${newId()}`,
      type: "webhook.test",
      payload: { webhookId: endpoint.id, realmId, message: "Tally webhook test event" },
    })
    .returning();
  if (!delivery) throw new Error("test delivery not created");
  return delivery;
}
