import type { BalanceService } from "@tally/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { realmOf } from "../plugins/auth.ts";
import { responses } from "../plugins/errors.ts";
import { realmParams } from "./realm-credentials.ts";

/** The ledger proving itself: every invariant of core/README.md checked over the caller's realm. */
export function realmAuditRoutes(app: FastifyInstance, core: BalanceService): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    "/api/v1/realms/:realmId/audit",
    {
      schema: {
        tags: ["ledger"],
        summary: "Check the realm's ledger: balances equal their entries, the balance_after chain, orphans, keys",
        params: realmParams,
        response: responses(
          "realm",
          {
            200: z.object({
              ok: z.boolean(),
              accounts: z.number(),
              entries: z.number(),
              problems: z.array(
                z.object({
                  check: z.string(),
                  message: z.string(),
                  accountId: z.string().optional(),
                  currencyId: z.string().optional(),
                  entryId: z.string().optional(),
                  key: z.string().optional(),
                }),
              ),
            }),
          },
          [400],
        ),
      },
    },
    async (request) => core.audit(realmOf(request, request.params.realmId)),
  );
}
