import { type BalanceService, toMajor } from "@tally/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import * as render from "../render.ts";
import { markReplay, writeContext } from "../write-context.ts";

/** The ledger's undo: a reversal entry that references the original (both legs of a transfer). */
export function realmReversalRoutes(app: FastifyInstance, core: BalanceService): void {
  app.withTypeProvider<ZodTypeProvider>().post(
    "/api/v1/realms/:realmId/transactions/:entryId/reverse",
    {
      schema: {
        tags: ["ledger"],
        summary: "Reverse a ledger entry (once; a transfer as a whole); honours Idempotency-Key",
        params: z.object({ realmId: z.string().min(1).max(64), entryId: z.string().min(1).max(32) }),
        // No body at all is fine: Fastify hands a missing body over as null.
        body: z.strictObject({ description: z.string().max(500).nullable().optional() }).nullish(),
      },
    },
    async (request, reply) => {
      const ctx = writeContext(request, request.params.realmId);
      const reversal = await core.reverse(ctx, request.params.entryId, { description: request.body?.description });
      markReplay(reply, reversal.replayed);
      const scale = reversal.currency.scale;
      return {
        entry: render.entry({ ...reversal.entry, reversedBy: null }, () => scale),
        balance: toMajor(reversal.balance, scale),
      };
    },
  );
}
