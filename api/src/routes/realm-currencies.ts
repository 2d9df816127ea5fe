import type { BalanceService } from "@tally/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { realmOf } from "../plugins/auth.ts";
import { responses } from "../plugins/errors.ts";
import { jsonNumber } from "../plugins/json-body.ts";
import * as render from "../render.ts";

const allowance = z
  .strictObject({
    amount: jsonNumber.describe("Whole units each member may give away per period"),
    period: z.enum(["day", "week", "month"]),
    managersExempt: z.boolean().optional().describe("Managers give without drawing on it (default false)"),
  })
  .nullable()
  .describe("null removes the allowance");

/** Changes to one currency: its allowance (what each member may give with /points thank and reactions). */
export function realmCurrencyRoutes(app: FastifyInstance, core: BalanceService): void {
  app.withTypeProvider<ZodTypeProvider>().patch(
    "/api/v1/realms/:realmId/currencies/:currencyId",
    {
      config: { write: true },
      schema: {
        tags: ["currencies"],
        summary: "Update a realm point (currency): its allowance",
        params: z.object({
          realmId: z
            .string()
            .min(1)
            .max(64)
            .meta({ examples: ["default"] }),
          currencyId: z.string().min(1).max(64),
        }),
        body: z
          .strictObject({ allowance: allowance.optional() })
          .meta({ examples: [{ allowance: { amount: 10, period: "week" } }, { allowance: null }] }),
        response: responses("realm", { 200: render.schemas.currency }, [400, 404, 413, 415]),
      },
    },
    async (request) => {
      const realmId = realmOf(request, request.params.realmId);
      const { currencyId } = request.params;
      if (request.body.allowance === undefined) return render.currency(await core.currency(realmId, currencyId));
      return render.currency(await core.setAllowance(realmId, currencyId, request.body.allowance));
    },
  );
}
