import {
  type BalanceChangeResult,
  type BalanceService,
  credentialTypes,
  isWholeAmount,
  normalizeIdentifier,
  toJsonAmount,
} from "@tally/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { realmOf } from "../plugins/auth.ts";
import { responses } from "../plugins/errors.ts";
import { jsonNumber } from "../plugins/json-body.ts";
import * as render from "../render.ts";
import { markReplay, writeContext } from "../write-context.ts";

export const realmParams = z.object({
  realmId: z
    .string()
    .min(1)
    .max(64)
    .meta({ examples: ["default"] }),
});
export const credentialType = z.enum(credentialTypes);
export const identifierQuery = (type: string, value: string) =>
  z.object({
    type: credentialType.meta({ examples: [type] }),
    value: z
      .string()
      .min(1)
      .max(256)
      .meta({ examples: [value] }),
    source: z.string().max(64).optional().describe('Required for type "custom", e.g. "shopify"'),
  });
// Not .int(): zod's int also caps at 2^53-1, and an amount past the safe range is core's INVALID_AMOUNT (422).
export const amount = jsonNumber
  .refine(isWholeAmount, { message: "must be an integer" })
  .describe("Whole units: positive adds, negative deducts");
export const positiveAmount = amount.refine((v) => !String(v).startsWith("-") && Number(v) !== 0, {
  message: "must be greater than 0",
});
const pointId = z.string().max(64).optional().describe("Realm point (currency) id; the realm's default when omitted");
const balanceResponse = render.schemas.credentialBalance;
const GRACE = "grace@example.com";
const ADA_DISCORD = "123456789012345678";

export const credentialOf = (q: { type: string; value: string; source?: string | undefined }) =>
  normalizeIdentifier(q.type, q.value, q.source);

/** Drip-style realm routes over credentials; errors as `{ error, message }`. Unknown body fields are rejected. */
export function realmCredentialRoutes(app: FastifyInstance, core: BalanceService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["credentials"];
  const write = { write: true } as const;
  const base = "/api/v1/realms/:realmId/credentials";

  r.patch(
    `${base}/balance`,
    {
      config: write,
      schema: {
        tags,
        summary: "Update point balance for a credential by its identifier (email, wallet, discord ID, etc)",
        params: realmParams,
        querystring: identifierQuery("email", GRACE),
        body: z
          .strictObject({ amount, realmPointId: pointId, initiatorId: z.string().max(128).optional() })
          .meta({ examples: [{ amount: 25 }] }),
        response: responses("realm", { 200: balanceResponse }, [400, 404, 409, 413, 415, 422]),
      },
    },
    async (request, reply) => {
      const identifier = credentialOf(request.query);
      const change = await core.adjust(writeContext(request, request.params.realmId, request.body.initiatorId), {
        subject: { kind: "credential", identifier },
        amount: request.body.amount,
        currencyId: request.body.realmPointId,
      });
      markReplay(reply, change.replayed);
      return render.credentialBalance(identifier, change);
    },
  );

  r.get(
    `${base}/find`,
    {
      schema: {
        tags,
        summary: "Find a credential and its balance",
        params: realmParams,
        querystring: identifierQuery("email", GRACE).extend({ realmPointId: pointId }),
        response: responses(
          "realm",
          {
            200: z.object({
              credentialId: z.string().nullable(),
              type: credentialType,
              source: z.string().nullable(),
              identifier: z.string(),
              accountId: z.string(),
              linked: z.boolean(),
              balance: jsonNumber,
              realmPointId: z.string(),
            }),
          },
          [400, 404],
        ),
      },
    },
    async (request) => {
      const realmId = realmOf(request, request.params.realmId);
      const identifier = credentialOf(request.query);
      const state = await core.balanceOf(realmId, { kind: "credential", identifier }, request.query.realmPointId);
      return {
        credentialId: state.credentialId,
        type: identifier.type,
        source: identifier.source || null,
        identifier: identifier.value,
        accountId: state.accountId,
        linked: state.linked,
        balance: toJsonAmount(state.balance, state.currency.scale),
        realmPointId: state.currency.id,
      };
    },
  );

  r.post(
    `${base}/link`,
    {
      config: write,
      schema: {
        tags,
        summary: "Link a credential to a user (one way: ghost balances move into the user's account)",
        params: realmParams,
        querystring: identifierQuery("discord-id", ADA_DISCORD),
        body: z
          .union([
            z.strictObject({ userId: z.string().min(1).max(128) }),
            z.strictObject({ accountId: z.string().min(1).max(64) }),
          ])
          .meta({ examples: [{ userId: "u-ada" }] }),
        response: responses(
          "realm",
          {
            200: z.object({
              credentialId: z.string(),
              identifier: z.string(),
              accountId: z.string(),
              linked: z.boolean(),
              moved: z.array(z.object({ realmPointId: z.string(), balance: jsonNumber })),
            }),
          },
          [400, 404, 409, 413, 415, 422],
        ),
      },
    },
    async (request, reply) => {
      const ctx = writeContext(request, request.params.realmId);
      const identifier = credentialOf(request.query);
      const result = await core.link(ctx, identifier, request.body);
      markReplay(reply, result.replayed);
      const scaleOf = await render.scalesOf(core, ctx.realmId);
      return {
        credentialId: result.credentialId,
        identifier: identifier.value,
        accountId: result.accountId,
        linked: true,
        moved: result.moved.map((m) => ({
          realmPointId: m.currencyId,
          balance: toJsonAmount(m.balance, scaleOf(m.currencyId)),
        })),
      };
    },
  );

  r.patch(
    `${base}/transaction`,
    {
      config: write,
      schema: {
        tags,
        summary: "Apply several balance updates, all or none",
        params: realmParams,
        body: z
          .strictObject({
            realmPointId: pointId,
            updates: z
              .array(
                identifierQuery("email", GRACE)
                  .extend({ amount, description: z.string().max(1000).optional() })
                  .strict(),
              )
              .min(1)
              .max(500),
          })
          .meta({
            examples: [
              {
                updates: [
                  { type: "email", value: GRACE, amount: 5, description: "bug report" },
                  { type: "discord-id", value: ADA_DISCORD, amount: 10 },
                ],
              },
            ],
          }),
        response: responses(
          "realm",
          { 200: z.object({ results: z.array(balanceResponse) }) },
          [400, 404, 409, 413, 415, 422],
        ),
      },
    },
    async (request, reply) => {
      const ctx = writeContext(request, request.params.realmId);
      const items = request.body.updates.map((u) => ({ ...u, identifier: credentialOf(u) }));
      const result = await core.batch(
        ctx,
        items.map((item) => ({
          subject: { kind: "credential", identifier: item.identifier },
          amount: item.amount,
          currencyId: request.body.realmPointId,
          description: item.description,
        })),
      );
      markReplay(reply, result.replayed);
      return {
        results: items.map((item, i) =>
          render.credentialBalance(item.identifier, result.changes[i] as BalanceChangeResult),
        ),
      };
    },
  );

  r.patch(
    `${base}/transfer`,
    {
      config: write,
      schema: {
        tags,
        summary: "Move points from one credential to another",
        params: realmParams,
        querystring: z.object({
          fromType: credentialType.meta({ examples: ["email"] }),
          fromValue: z
            .string()
            .min(1)
            .max(256)
            .meta({ examples: [GRACE] }),
          fromSource: z.string().max(64).optional(),
          toType: credentialType.meta({ examples: ["discord-id"] }),
          toValue: z
            .string()
            .min(1)
            .max(256)
            .meta({ examples: [ADA_DISCORD] }),
          toSource: z.string().max(64).optional(),
        }),
        body: z
          .strictObject({
            amount: positiveAmount,
            realmPointId: pointId,
            description: z.string().max(1000).optional(),
          })
          .meta({ examples: [{ amount: 5, description: "thanks for the review" }] }),
        response: responses(
          "realm",
          { 200: z.object({ from: balanceResponse, to: balanceResponse }) },
          [400, 404, 409, 413, 415, 422],
        ),
      },
    },
    async (request, reply) => {
      const q = request.query;
      const from = credentialOf({ type: q.fromType, value: q.fromValue, source: q.fromSource });
      const to = credentialOf({ type: q.toType, value: q.toValue, source: q.toSource });
      const result = await core.transfer(writeContext(request, request.params.realmId), {
        from: { kind: "credential", identifier: from },
        to: { kind: "credential", identifier: to },
        amount: request.body.amount,
        currencyId: request.body.realmPointId,
        description: request.body.description,
      });
      markReplay(reply, result.replayed);
      return {
        from: render.credentialBalance(from, { ...result.from, currency: result.currency }),
        to: render.credentialBalance(to, { ...result.to, currency: result.currency }),
      };
    },
  );
}
