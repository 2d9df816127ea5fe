import {
  type BalanceChangeResult,
  type BalanceService,
  credentialTypes,
  normalizeIdentifier,
  toMajor,
} from "@tally/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { realmOf } from "../plugins/auth.ts";
import * as render from "../render.ts";
import { markReplay, writeContext } from "../write-context.ts";

export const realmParams = z.object({ realmId: z.string().min(1).max(64) });
const identifierQuery = z.object({
  type: z.enum(credentialTypes),
  value: z.string().min(1).max(256),
  source: z.string().max(64).optional(),
});
// Not .int(): zod's int also caps at 2^53-1, and an amount past the safe range is core's INVALID_AMOUNT (422).
const amount = z
  .number()
  .refine(Number.isInteger, { message: "amount must be an integer" })
  .describe("Whole units: positive adds, negative deducts");
const pointId = z.string().max(64).optional().describe("Realm point (currency) id; the realm's default when omitted");
const balanceResponse = z.object({
  credentialId: z.string(),
  identifier: z.string(),
  balance: z.number(),
  realmPointId: z.string(),
  linked: z.boolean(),
});

const credentialOf = (q: { type: string; value: string; source?: string | undefined }) =>
  normalizeIdentifier(q.type, q.value, q.source);

/** Drip-style realm routes over credentials; errors as `{ error, message }`. Unknown body fields are rejected. */
export function realmCredentialRoutes(app: FastifyInstance, core: BalanceService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["credentials"];
  const base = "/api/v1/realms/:realmId/credentials";

  r.patch(
    `${base}/balance`,
    {
      schema: {
        tags,
        summary: "Update point balance for a credential by its identifier (email, wallet, discord ID, etc)",
        params: realmParams,
        querystring: identifierQuery,
        body: z.strictObject({ amount, realmPointId: pointId, initiatorId: z.string().max(128).optional() }),
        response: { 200: balanceResponse },
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
        querystring: identifierQuery.extend({ realmPointId: pointId }),
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
        balance: toMajor(state.balance, state.currency.scale),
        realmPointId: state.currency.id,
      };
    },
  );

  r.post(
    `${base}/link`,
    {
      schema: {
        tags,
        summary: "Link a credential to a user (one way: ghost balances move into the user's account)",
        params: realmParams,
        querystring: identifierQuery,
        body: z.union([
          z.strictObject({ userId: z.string().min(1).max(128) }),
          z.strictObject({ accountId: z.string().min(1).max(64) }),
        ]),
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
          balance: toMajor(m.balance, scaleOf(m.currencyId)),
        })),
      };
    },
  );

  r.patch(
    `${base}/transaction`,
    {
      schema: {
        tags,
        summary: "Apply several balance updates, all or none",
        params: realmParams,
        body: z.strictObject({
          realmPointId: pointId,
          updates: z
            .array(identifierQuery.extend({ amount, description: z.string().max(1000).optional() }).strict())
            .min(1)
            .max(500),
        }),
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
      schema: {
        tags,
        summary: "Move points from one credential to another",
        params: realmParams,
        querystring: z.object({
          fromType: z.enum(credentialTypes),
          fromValue: z.string().min(1).max(256),
          fromSource: z.string().max(64).optional(),
          toType: z.enum(credentialTypes),
          toValue: z.string().min(1).max(256),
          toSource: z.string().max(64).optional(),
        }),
        body: z.strictObject({
          amount: amount.positive(),
          realmPointId: pointId,
          description: z.string().max(1000).optional(),
        }),
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
