import type { BalanceService } from "@tally/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { realmOf } from "../plugins/auth.ts";
import { responses } from "../plugins/errors.ts";
import { realmParams } from "./realm-credentials.ts";

/** `PATCH /api/v1/realms/{realmId}`: realm settings, the time zone of period leaderboards and the public page. */
export function realmSettingsRoutes(app: FastifyInstance, core: BalanceService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.patch(
    "/api/v1/realms/:realmId",
    {
      schema: {
        tags: ["realms"],
        summary: "Update realm settings: the time zone of period leaderboards, the public leaderboard page",
        description:
          "`timezone` is an IANA name (`Europe/Berlin`); days, weeks (from Monday) and months of " +
          "`members/leaderboard?period=` start at midnight there. `null` goes back to UTC. `publicLeaderboard` " +
          "switches the page `/r/{realmId}` on or off (off by default): the leaderboard by period and currency, " +
          "display names and amounts only, for anyone. A field left out keeps its value; name at least one.",
        params: realmParams,
        body: z
          .strictObject({
            timezone: z.string().min(1).max(64).nullable().optional(),
            publicLeaderboard: z.boolean().optional(),
          })
          .refine((body) => body.timezone !== undefined || body.publicLeaderboard !== undefined, {
            message: "name at least one setting to change: timezone or publicLeaderboard",
          })
          .meta({ examples: [{ timezone: "Europe/Berlin" }, { publicLeaderboard: true }] }),
        response: responses(
          "realm",
          {
            200: z.object({
              id: z.string(),
              name: z.string(),
              timezone: z.string().nullable(),
              publicLeaderboard: z.boolean(),
            }),
          },
          [400, 404, 413, 415],
        ),
      },
    },
    async (request) => {
      const realmId = realmOf(request, request.params.realmId);
      const realm = await core.updateRealmSettings(realmId, request.body);
      return { id: realm.id, name: realm.name, timezone: realm.timezone, publicLeaderboard: realm.publicLeaderboard };
    },
  );
}
