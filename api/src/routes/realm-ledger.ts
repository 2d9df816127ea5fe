import { type BalanceService, toMajor } from "@tally/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { realmOf } from "../plugins/auth.ts";
import * as render from "../render.ts";
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
        summary: "Holders of a realm point, highest balance first",
        params: realmParams,
        querystring: z.object({
          realmPointId: z.string().max(64).optional(),
          take: z.coerce.number().int().min(1).max(100).optional(),
          after: z.string().max(512).optional(),
        }),
      },
    },
    async (request) => {
      const realmId = realmOf(request, request.params.realmId);
      const { realmPointId, ...page } = request.query;
      const board = await core.leaderboard(realmId, { currencyId: realmPointId, ...page });
      return {
        realmPointId: board.currency.id,
        data: board.items.map((row) => ({
          rank: row.rank,
          accountId: row.accountId,
          userId: row.userId,
          name: row.name,
          linked: row.linked,
          balance: toMajor(row.balance, board.currency.scale),
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
    { schema: { tags: ["currencies"], summary: "The realm's points (currencies)", params: realmParams } },
    async (request) => ({
      data: (await core.currencies(realmOf(request, request.params.realmId))).map(render.currency),
    }),
  );

  r.post(
    `${base}/currencies`,
    {
      schema: {
        tags: ["currencies"],
        summary: "Create a realm point (currency)",
        params: realmParams,
        body: z.strictObject({
          name: z.string().min(1).max(64),
          emoji: z.string().max(64).optional(),
          isDefault: z.boolean().optional(),
          allowNegative: z.boolean().optional(),
          scale: z.number().int().min(0).max(6).optional(),
        }),
      },
    },
    async (request, reply) => {
      const created = await core.createCurrency(realmOf(request, request.params.realmId), request.body);
      return reply.code(201).send(render.currency(created));
    },
  );
}
