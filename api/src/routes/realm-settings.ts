import type { BalanceService } from "@tally/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { realmOf } from "../plugins/auth.ts";
import { responses } from "../plugins/errors.ts";
import { realmParams } from "./realm-credentials.ts";

/** `PATCH /api/v1/realms/{realmId}`: realm settings; for now the time zone period leaderboards count in. */
export function realmSettingsRoutes(app: FastifyInstance, core: BalanceService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.patch(
    "/api/v1/realms/:realmId",
    {
      schema: {
        tags: ["realms"],
        summary: "Update realm settings: the time zone of period leaderboards",
        description:
          "`timezone` is an IANA name (`Europe/Berlin`); days, weeks (from Monday) and months of " +
          "`members/leaderboard?period=` start at midnight there. `null` goes back to UTC.",
        params: realmParams,
        body: z
          .strictObject({ timezone: z.string().min(1).max(64).nullable() })
          .meta({ examples: [{ timezone: "Europe/Berlin" }] }),
        response: responses(
          "realm",
          { 200: z.object({ id: z.string(), name: z.string(), timezone: z.string().nullable() }) },
          [400, 404, 413, 415],
        ),
      },
    },
    async (request) => {
      const realmId = realmOf(request, request.params.realmId);
      const realm = await core.setRealmTimezone(realmId, request.body.timezone);
      return { id: realm.id, name: realm.name, timezone: realm.timezone };
    },
  );
}
