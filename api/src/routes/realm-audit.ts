import type { BalanceService } from "@tally/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { realmOf } from "../plugins/auth.ts";
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
      },
    },
    async (request) => core.audit(realmOf(request, request.params.realmId)),
  );
}
