import { type BalanceService, periods, toJsonAmount } from "@tally/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { realmOf } from "../plugins/auth.ts";
import { responses } from "../plugins/errors.ts";
import { jsonNumber } from "../plugins/json-body.ts";
import * as render from "../render.ts";
import { markReplay, writeContext } from "../write-context.ts";
import { realmParams } from "./realm-credentials.ts";

/** Realm-wide reads (leaderboard, ledger) and currency administration. */
export function realmLedgerRoutes(app: FastifyInstance, core: BalanceService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const base = "/api/v1/realms/:realmId";

  r.get(
    `${base}/members/leaderboard`,
    {
      schema: {
        tags: ["members"],
        summary: "Holders of a realm point, highest balance first; or top receivers of the day, week or month",
        description:
          "`period=day|week|month` ranks by the sum of positive entries received since the period began in the " +
          "realm's time zone (weeks start on Monday; UTC unless `PATCH /api/v1/realms/{realmId}` sets one); ties " +
          "share a rank and `received` holds the sum. `all` (the default) ranks by balance.",
        params: realmParams,
        querystring: z.object({
          realmPointId: z.string().max(64).optional(),
          period: z
            .enum(periods)
            .optional()
            .meta({ examples: ["week"] }),
          take: z.coerce.number().int().min(1).max(100).optional(),
          after: z.string().max(512).optional().describe("nextCursor of the previous page"),
        }),
        response: responses(
          "realm",
          {
            200: z.object({
              realmPointId: z.string(),
              period: z.enum(periods),
              since: z.string().nullable().describe("When the period began (null for all)"),
              data: z.array(
                z.object({
                  rank: z.number(),
                  accountId: z.string(),
                  userId: z.string().nullable(),
                  name: z.string().nullable(),
                  linked: z.boolean(),
                  balance: jsonNumber,
                  received: jsonNumber.optional(),
                  credentials: z.array(
                    z.object({ type: z.string(), source: z.string().nullable(), identifier: z.string() }),
                  ),
                }),
              ),
              nextCursor: z.string().nullable(),
            }),
          },
          [400, 404],
        ),
      },
    },
    async (request) => {
      const realmId = realmOf(request, request.params.realmId);
      const { realmPointId, ...page } = request.query;
      const board = await core.leaderboard(realmId, { currencyId: realmPointId, ...page });
      return {
        realmPointId: board.currency.id,
        period: board.period,
        since: board.since?.toISOString() ?? null,
        data: board.items.map((row) => ({
          rank: row.rank,
          accountId: row.accountId,
          userId: row.userId,
          name: row.name,
          linked: row.linked,
          balance: toJsonAmount(row.balance, board.currency.scale),
          ...(row.received === undefined ? {} : { received: toJsonAmount(row.received, board.currency.scale) }),
          credentials: row.credentials.map((c) => ({ type: c.type, source: c.source || null, identifier: c.value })),
        })),
        nextCursor: board.nextCursor,
      };
    },
  );

  r.get(
    `${base}/transactions`,
    {
      schema: {
        tags: ["ledger"],
        summary: "The realm's ledger, newest first",
        params: realmParams,
        querystring: z.object({
          cursor: z.string().max(32).optional(),
          limit: z.coerce.number().int().min(1).max(100).optional(),
          realmPointId: z.string().max(64).optional(),
          accountId: z.string().max(64).optional(),
        }),
        response: responses(
          "realm",
          { 200: z.object({ data: z.array(render.schemas.entry), nextCursor: z.string().nullable() }) },
          [400, 404],
        ),
      },
    },
    async (request) => {
      const realmId = realmOf(request, request.params.realmId);
      const { realmPointId, ...query } = request.query;
      const page = await core.history(realmId, { ...query, currencyId: realmPointId });
      const scaleOf = await render.scalesOf(core, realmId);
      return { data: page.items.map((e) => render.entry(e, scaleOf)), nextCursor: page.nextCursor };
    },
  );

  r.get(
    `${base}/currencies`,
    {
      schema: {
        tags: ["currencies"],
        summary: "The realm's points (currencies)",
        params: realmParams,
        response: responses("realm", { 200: z.object({ data: z.array(render.schemas.currency) }) }, [400]),
      },
    },
    async (request) => ({
      data: (await core.currencies(realmOf(request, request.params.realmId))).map(render.currency),
    }),
  );

  r.post(
    `${base}/currencies`,
    {
      config: { write: true },
      schema: {
        tags: ["currencies"],
        summary: "Create a realm point (currency)",
        params: realmParams,
        body: z
          .strictObject({
            name: z.string().min(1).max(64),
            emoji: z.string().max(64).optional(),
            isDefault: z.boolean().optional(),
            allowNegative: z.boolean().optional(),
            scale: z.number().int().min(0).max(6).optional().describe("Decimal places of amounts, 0 to 6"),
          })
          .meta({ examples: [{ name: "gems", emoji: "💎", scale: 2 }] }),
        response: responses("realm", { 201: render.schemas.currency }, [400, 409, 413, 415]),
      },
    },
    async (request, reply) => {
      const ctx = writeContext(request, request.params.realmId);
      const created = await core.createCurrency(ctx.realmId, request.body, { idempotencyKey: ctx.idempotencyKey });
      markReplay(reply, created.replayed);
      return reply.code(201).send(render.currency(created));
    },
  );
}
