import { type BalanceService, toJsonAmount } from "@tally/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { responses } from "../plugins/errors.ts";
import { jsonNumber } from "../plugins/json-body.ts";
import * as render from "../render.ts";
import { markReplay, writeContext } from "../write-context.ts";

/** The ledger's undo: a reversal entry that references the original (both legs of a transfer). */
export function realmReversalRoutes(app: FastifyInstance, core: BalanceService): void {
  app.withTypeProvider<ZodTypeProvider>().post(
    "/api/v1/realms/:realmId/transactions/:entryId/reverse",
    {
      config: { write: true },
      schema: {
        tags: ["ledger"],
        summary: "Reverse a ledger entry (once; a transfer as a whole); honours Idempotency-Key",
        params: z.object({
          realmId: z
            .string()
            .min(1)
            .max(64)
            .meta({ examples: ["default"] }),
          entryId: z.string().min(1).max(32).describe("The id of a ledger entry (from the ledger routes)"),
        }),
        // No body at all is fine: Fastify hands a missing body over as null.
        body: z
          .strictObject({ description: z.string().max(500).nullable().optional() })
          .meta({ examples: [{ description: "booked twice by mistake" }] })
          .nullish(),
        response: responses(
          "realm",
          { 200: z.object({ entry: render.schemas.entry, balance: jsonNumber }) },
          [400, 404, 409, 413, 415, 422],
        ),
      },
    },
    async (request, reply) => {
      const ctx = writeContext(request, request.params.realmId);
      const reversal = await core.reverse(ctx, request.params.entryId, { description: request.body?.description });
      markReplay(reply, reversal.replayed);
      const scale = reversal.currency.scale;
      return {
        entry: render.entry({ ...reversal.entry, reversedBy: null }, () => scale),
        balance: toJsonAmount(reversal.balance, scale),
      };
    },
  );
}
