import {
  type BalanceService,
  createWebhook,
  deleteWebhook,
  getWebhook,
  listDeliveries,
  listWebhooks,
  redeliver,
  rotateWebhookSecret,
  sendTestEvent,
  subscribableEvents,
  updateWebhook,
  type WebhookDelivery,
  type WebhookEndpoint,
} from "@tally/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { realmOf } from "../plugins/auth.ts";
import { responses } from "../plugins/errors.ts";
import { realmParams } from "./realm-credentials.ts";

const tags = ["webhooks"];
const endpointParams = realmParams.extend({ id: z.string().min(1).max(64) });
const events = z
  .array(z.string().max(64))
  .max(subscribableEvents.length)
  .nullable()
  .optional()
  .describe(`Event types to receive (${subscribableEvents.join(", ")}); omitted or null: every type`);

const endpointShape = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()).nullable(),
  description: z.string().nullable(),
  enabled: z.boolean(),
  disabledReason: z.string().nullable(),
  failingSince: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const deliveryShape = z.object({
  id: z.string(),
  eventId: z.string().describe("The webhook-id header: identical on every attempt"),
  type: z.string(),
  status: z.enum(["pending", "delivering", "succeeded", "failed"]),
  attempts: z.number(),
  lastStatusCode: z.number().nullable(),
  lastError: z.string().nullable(),
  lastResponse: z.string().nullable().describe("The receiver's answer, truncated to 1 KiB"),
  lastAttemptAt: z.string().nullable(),
  nextAttemptAt: z.string().nullable().describe("When the next attempt is due; null once succeeded or failed"),
  createdAt: z.string(),
});

/** Never includes a secret: the secret is shown once, by create and rotate-secret. */
function endpoint(e: WebhookEndpoint): z.infer<typeof endpointShape> {
  return {
    id: e.id,
    url: e.url,
    events: e.events,
    description: e.description,
    enabled: e.enabled,
    disabledReason: e.disabledReason,
    failingSince: e.failingSince?.toISOString() ?? null,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
  };
}

function delivery(d: WebhookDelivery): z.infer<typeof deliveryShape> {
  const open = d.status === "pending" || d.status === "delivering";
  return {
    id: d.id.toString(),
    eventId: d.eventId,
    type: d.type,
    status: d.status,
    attempts: d.attempts,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    lastResponse: d.lastResponse,
    lastAttemptAt: d.lastAttemptAt?.toISOString() ?? null,
    nextAttemptAt: open ? d.nextAttemptAt.toISOString() : null,
    createdAt: d.createdAt.toISOString(),
  };
}

/** Webhook endpoints of a realm, their deliveries and redelivery (DESIGN §7, issue 11). */
export function webhookRoutes(app: FastifyInstance, core: BalanceService, options: { allowPrivate: boolean }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const base = "/api/v1/realms/:realmId/webhooks";
  const db = core.db;

  r.post(
    base,
    {
      schema: {
        tags,
        summary: "Create a webhook endpoint; the answer holds its signing secret, shown this once",
        params: realmParams,
        body: z
          .strictObject({
            url: z.string().min(1).max(2048),
            events,
            description: z.string().max(500).nullable().optional(),
          })
          .meta({
            examples: [
              { url: "https://example.com/tally-webhooks", events: ["balance.changed"], description: "ledger sync" },
            ],
          }),
        response: responses(
          "realm",
          {
            201: endpointShape.extend({ secret: z.string().describe("whsec_…: store it now, it is not shown again") }),
          },
          [400, 413, 415, 422],
        ),
      },
    },
    async (request, reply) => {
      const created = await createWebhook(db, realmOf(request, request.params.realmId), request.body, options);
      return reply.code(201).send({ ...endpoint(created), secret: created.secret });
    },
  );

  r.get(
    base,
    {
      schema: {
        tags,
        summary: "The realm's webhook endpoints",
        params: realmParams,
        response: responses("realm", { 200: z.object({ data: z.array(endpointShape) }) }, [400]),
      },
    },
    async (request) => ({
      data: (await listWebhooks(db, realmOf(request, request.params.realmId))).map(endpoint),
    }),
  );

  r.get(
    `${base}/:id`,
    {
      schema: {
        tags,
        summary: "One webhook endpoint",
        params: endpointParams,
        response: responses("realm", { 200: endpointShape }, [400, 404]),
      },
    },
    async (request) => endpoint(await getWebhook(db, realmOf(request, request.params.realmId), request.params.id)),
  );

  r.patch(
    `${base}/:id`,
    {
      schema: {
        tags,
        summary: "Change a webhook's url, events, description, or enable/disable it",
        params: endpointParams,
        body: z
          .strictObject({
            url: z.string().min(1).max(2048).optional(),
            events,
            description: z.string().max(500).nullable().optional(),
            enabled: z.boolean().optional(),
          })
          .meta({ examples: [{ description: "ledger sync (staging)", enabled: true }] }),
        response: responses("realm", { 200: endpointShape }, [400, 404, 413, 415, 422]),
      },
    },
    async (request) =>
      endpoint(
        await updateWebhook(db, realmOf(request, request.params.realmId), request.params.id, request.body, options),
      ),
  );

  r.delete(
    `${base}/:id`,
    {
      schema: {
        tags,
        summary: "Delete a webhook endpoint and its deliveries",
        params: endpointParams,
        response: responses("realm", { 204: z.null().describe("Deleted") }, [400, 404]),
      },
    },
    async (request, reply) => {
      await deleteWebhook(db, realmOf(request, request.params.realmId), request.params.id);
      return reply.code(204).send(null);
    },
  );

  r.post(
    `${base}/:id/rotate-secret`,
    {
      schema: {
        tags,
        summary: "Replace the signing secret; the old one keeps signing alongside for 24 hours",
        params: endpointParams,
        response: responses(
          "realm",
          { 200: endpointShape.extend({ secret: z.string(), previousSecretExpiresAt: z.string() }) },
          [400, 404],
        ),
      },
    },
    async (request) => {
      const rotated = await rotateWebhookSecret(db, realmOf(request, request.params.realmId), request.params.id);
      return {
        ...endpoint(rotated.endpoint),
        secret: rotated.secret,
        previousSecretExpiresAt: rotated.previousSecretExpiresAt.toISOString(),
      };
    },
  );

  r.post(
    `${base}/:id/test`,
    {
      schema: {
        tags,
        summary: "Queue a webhook.test event for this endpoint",
        params: endpointParams,
        response: responses("realm", { 202: deliveryShape }, [400, 404]),
      },
    },
    async (request, reply) => {
      const queued = await sendTestEvent(db, realmOf(request, request.params.realmId), request.params.id);
      return reply.code(202).send(delivery(queued));
    },
  );

  r.get(
    `${base}/:id/deliveries`,
    {
      schema: {
        tags,
        summary: "Deliveries to this endpoint, newest first: attempts, status codes, next retry",
        params: endpointParams,
        querystring: z.object({
          cursor: z.string().max(32).optional(),
          limit: z.coerce.number().int().min(1).max(100).optional(),
        }),
        response: responses(
          "realm",
          { 200: z.object({ data: z.array(deliveryShape), nextCursor: z.string().nullable() }) },
          [400, 404],
        ),
      },
    },
    async (request) => {
      const page = await listDeliveries(db, realmOf(request, request.params.realmId), request.params.id, request.query);
      return { data: page.items.map(delivery), nextCursor: page.nextCursor };
    },
  );

  r.post(
    `${base}/:id/deliveries/:deliveryId/redeliver`,
    {
      schema: {
        tags,
        summary: "Send a delivery's event again, with the same webhook-id",
        params: endpointParams.extend({ deliveryId: z.string().min(1).max(32) }),
        response: responses("realm", { 202: deliveryShape }, [400, 404]),
      },
    },
    async (request, reply) => {
      const again = await redeliver(
        db,
        realmOf(request, request.params.realmId),
        request.params.id,
        request.params.deliveryId,
      );
      return reply.code(202).send(delivery(again));
    },
  );
}
