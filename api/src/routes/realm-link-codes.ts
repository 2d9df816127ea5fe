import { type BalanceService, LINK_ATTEMPTS_MAX, normalizeIdentifier, toJsonAmount } from "@tally/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { realmOf } from "../plugins/auth.ts";
import { responses } from "../plugins/errors.ts";
import { jsonNumber } from "../plugins/json-body.ts";
import * as render from "../render.ts";
import { markReplay, writeContext } from "../write-context.ts";
import { identifierQuery, realmParams } from "./realm-credentials.ts";

const ADA_DISCORD = "123456789012345678";
const identity = z.object({ type: z.string(), source: z.string().nullable(), identifier: z.string() });

/**
 * One-time link codes for a product's own sign-in flow: issue a code for the credential a person is signed in with,
 * redeem it with the credential they prove on the other side; both then hold one member account.
 */
export function realmLinkCodeRoutes(app: FastifyInstance, core: BalanceService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["credentials"];
  const base = "/api/v1/realms/:realmId/credentials/link-codes";

  r.post(
    base,
    {
      schema: {
        tags,
        summary: "Issue a one-time link code for a credential (TALLY-XXXXXXXX, 10 minutes, single use)",
        description:
          "The code is shown once (only its SHA-256 is stored) and replaces the credential's unused codes. " +
          "Redeeming it with another credential joins both into one member account.",
        params: realmParams,
        querystring: identifierQuery("discord-id", ADA_DISCORD),
        response: responses(
          "realm",
          {
            201: z.object({
              code: z.string().meta({ examples: ["TALLY-7KQ2MX9P"] }),
              expiresAt: z.string(),
              credentialId: z.string(),
            }),
          },
          [400, 404],
        ),
      },
    },
    async (request, reply) => {
      const realmId = realmOf(request, request.params.realmId);
      const q = request.query;
      const issued = await core.issueLinkCode(realmId, normalizeIdentifier(q.type, q.value, q.source));
      return reply.code(201).send({
        code: issued.code,
        expiresAt: issued.expiresAt.toISOString(),
        credentialId: issued.credentialId,
      });
    },
  );

  r.post(
    `${base}/:code/redeem`,
    {
      config: { write: true },
      schema: {
        tags,
        summary: "Redeem a link code with another credential: both join one member account",
        description:
          "The code's credential and this one end on one member account (the one either already has, else a new " +
          "one); ghost balances move with `link` entries in one transaction and `credential.linked` events follow. " +
          "A used or expired code is 409, another realm's code 403, an unknown one 404; nothing changes. " +
          `Each credential gets ${LINK_ATTEMPTS_MAX} attempts per 10 minutes (then 429 with Retry-After).`,
        params: realmParams.extend({
          code: z.string().min(1).max(64).describe("The code POST …/link-codes answered, e.g. TALLY-7KQ2MX9P"),
        }),
        querystring: identifierQuery("custom", "U0ADA").extend({
          source: z
            .string()
            .max(64)
            .optional()
            .meta({ examples: ["slack"] }),
        }),
        response: responses(
          "realm",
          {
            200: z.object({
              accountId: z.string(),
              credentialId: z.string(),
              linked: z.boolean(),
              alreadyLinked: z.boolean(),
              linkedWith: identity,
              moved: z.array(z.object({ realmPointId: z.string(), balance: jsonNumber })),
            }),
          },
          [400, 404, 409, 422],
        ),
      },
    },
    async (request, reply) => {
      const ctx = writeContext(request, request.params.realmId);
      const q = request.query;
      const result = await core.redeemLinkCode(ctx, {
        code: request.params.code,
        redeemer: normalizeIdentifier(q.type, q.value, q.source),
      });
      markReplay(reply, result.replayed);
      const scaleOf = await render.scalesOf(core, ctx.realmId);
      return {
        accountId: result.accountId,
        credentialId: result.credentialId,
        linked: true,
        alreadyLinked: result.alreadyLinked,
        linkedWith: {
          type: result.issuer.type,
          source: result.issuer.source || null,
          identifier: result.issuer.value,
        },
        moved: result.moved.map((m) => ({
          realmPointId: m.currencyId,
          balance: toJsonAmount(m.balance, scaleOf(m.currencyId)),
        })),
      };
    },
  );
}
