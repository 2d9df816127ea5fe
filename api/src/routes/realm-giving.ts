import type { BalanceService } from "@tally/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { realmOf } from "../plugins/auth.ts";
import { HttpError, responses } from "../plugins/errors.ts";

const realmId = z
  .string()
  .min(1)
  .max(64)
  .meta({ examples: ["default"] });
const rule = (max: number, what: string) => z.number().int().min(1).max(max).nullable().optional().describe(what);
const rules = z.object({
  giveCooldownSeconds: z.number().nullable(),
  dailyCapPerTarget: z.number().nullable(),
  minAccountAgeMinutes: z.number().nullable(),
  commandsPerMinute: z.number().nullable(),
});
const reactionRule = z.strictObject({
  emoji: z.string().min(1).max(100).describe("Slack's name (taco), or Discord's character (🌮) or custom emoji id"),
  amount: z.number().positive().describe("Whole units of the currency each reaction gives"),
  currencyId: z.string().max(64).optional().describe("The realm's default currency when omitted"),
});
const bindingParams = z.object({
  realmId,
  platform: z.enum(["discord", "slack"]).meta({ examples: ["discord"] }),
  externalId: z
    .string()
    .min(1)
    .max(64)
    .describe("The Discord guild id or Slack team id")
    .meta({ examples: ["920000000000000001"] }),
});
const bindingReactions = z.object({
  platform: z.string(),
  externalId: z.string(),
  realmId: z.string(),
  reactions: z.array(reactionRule),
});

/** Peer giving: a realm's anti-abuse rules and which emoji give points in its bound servers and workspaces. */
export function realmGivingRoutes(app: FastifyInstance, core: BalanceService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const base = "/api/v1/realms/:realmId";

  r.get(
    `${base}/giving-rules`,
    {
      schema: {
        tags: ["giving"],
        summary: "The realm's rules for thanks and reactions (null: off)",
        params: z.object({ realmId }),
        response: responses("realm", { 200: rules }, [400]),
      },
    },
    async (request) => core.givingRules(realmOf(request, request.params.realmId)),
  );

  r.patch(
    `${base}/giving-rules`,
    {
      config: { write: true },
      schema: {
        tags: ["giving"],
        summary: "Change the rules named (null turns one off); every rule is off by default",
        params: z.object({ realmId }),
        body: z
          .strictObject({
            giveCooldownSeconds: rule(7 * 24 * 3600, "Least seconds between two gifts from one giver to one target"),
            dailyCapPerTarget: rule(Number.MAX_SAFE_INTEGER, "Most whole units one giver gives one target per day"),
            minAccountAgeMinutes: rule(365 * 24 * 60, "Refuse gifts to platform accounts younger than this"),
            commandsPerMinute: rule(10_000, "Bot commands one member may run per minute"),
          })
          .meta({ examples: [{ giveCooldownSeconds: 60, dailyCapPerTarget: 10 }] }),
        response: responses("realm", { 200: rules }, [400, 413, 415]),
      },
    },
    async (request) => core.setGivingRules(realmOf(request, request.params.realmId), request.body),
  );

  r.get(
    `${base}/reactions/:platform/:externalId`,
    {
      schema: {
        tags: ["giving"],
        summary: "Which emoji give points in a Discord server or Slack workspace bound to the realm",
        params: bindingParams,
        response: responses("realm", { 200: bindingReactions }, [400, 403]),
      },
    },
    async (request) => {
      const { platform, externalId } = request.params;
      const realm = realmOf(request, request.params.realmId);
      const binding = await core.bindingFor(platform, externalId);
      if (binding.realmId !== realm)
        throw new HttpError(403, "FORBIDDEN", "That server or workspace is bound to another realm.");
      return { platform, externalId, realmId: realm, reactions: binding.settings.reactions ?? [] };
    },
  );

  r.put(
    `${base}/reactions/:platform/:externalId`,
    {
      config: { write: true },
      schema: {
        tags: ["giving"],
        summary: "Set which emoji give points (replaces the list; an empty list turns reactions off)",
        params: bindingParams,
        body: z
          .strictObject({ reactions: z.array(reactionRule).max(50) })
          .meta({ examples: [{ reactions: [{ emoji: "taco", amount: 1 }] }] }),
        response: responses("realm", { 200: bindingReactions }, [400, 403, 413, 415]),
      },
    },
    async (request) => {
      const { platform, externalId } = request.params;
      const realm = realmOf(request, request.params.realmId);
      const binding = await core.setReactionRules({
        platform,
        externalId,
        realmId: realm,
        reactions: request.body.reactions,
      });
      return { platform, externalId, realmId: realm, reactions: binding.settings.reactions ?? [] };
    },
  );
}
