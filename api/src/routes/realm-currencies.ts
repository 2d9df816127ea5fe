import type { BalanceService, CurrencyPatch } from "@tally/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { realmOf } from "../plugins/auth.ts";
import { responses } from "../plugins/errors.ts";
import { jsonNumber } from "../plugins/json-body.ts";
import * as render from "../render.ts";
import { markReplay, writeContext } from "../write-context.ts";
import { realmParams } from "./realm-credentials.ts";

const currencyParams = realmParams.extend({ currencyId: z.string().min(1).max(64) });

/**
 * The fields `PATCH …/currencies/{currencyId}` takes. A new field is one more entry here and one more line in
 * `patchOf`; core checks each against the locked currency row.
 */
export const currencyPatchFields = {
  name: z.string().min(1).max(64).optional(),
  emoji: z.string().max(64).nullable().optional(),
  scale: z
    .number()
    .int()
    .min(0)
    .max(6)
    .optional()
    .describe("Decimal places of amounts, 0 to 6; changes only while the currency has no entries (else 409)"),
  allowNegative: z.boolean().optional().describe("The overdraft rule: whether balances may go below zero"),
  allowance: z
    .strictObject({
      amount: jsonNumber.describe("Whole units each member may give away per period"),
      period: z.enum(["day", "week", "month"]),
      managersExempt: z.boolean().optional().describe("Managers give without drawing on it (default false)"),
    })
    .nullable()
    .optional()
    .describe("What each member may give with /points thank and reactions per period; null removes it"),
};
const patchBody = z.strictObject(currencyPatchFields);
const patchOf = (body: z.infer<typeof patchBody>): CurrencyPatch => body;

const WRITE_ERRORS = [400, 404, 409, 413, 415];

/** Drip's single-currency routes (tag Currencies): read, update, archive, unarchive, metadata. */
export function realmCurrencyRoutes(app: FastifyInstance, core: BalanceService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["currencies"];
  const write = { write: true } as const;
  const base = "/api/v1/realms/:realmId/currencies/:currencyId";
  const one = { 200: render.schemas.currency };

  r.get(
    base,
    {
      schema: {
        tags,
        summary: "Get Currency",
        params: currencyParams,
        response: responses("realm", one, [400, 404]),
      },
    },
    async (request) => {
      const realmId = realmOf(request, request.params.realmId);
      return render.currency(await core.getCurrency(realmId, request.params.currencyId));
    },
  );

  r.patch(
    base,
    {
      config: write,
      schema: {
        tags,
        summary: "Update Currency",
        description:
          "Changes the name, emoji, overdraft rule and allowance, and the scale while no entry exists. Drip's `customEmojiUrl` " +
          "and `default` are not Tally fields and are refused; metadata has its own route.",
        params: currencyParams,
        body: patchBody.meta({ examples: [{ name: "gems", emoji: "💎", allowNegative: false }] }),
        response: responses("realm", one, WRITE_ERRORS),
      },
    },
    async (request, reply) => {
      const ctx = writeContext(request, request.params.realmId);
      const updated = await core.updateCurrency(
        ctx.realmId,
        request.params.currencyId,
        patchOf(request.body),
        ctx.idempotencyKey,
      );
      markReplay(reply, updated.replayed);
      return render.currency(updated);
    },
  );

  r.delete(
    base,
    {
      config: write,
      schema: {
        tags,
        summary: "Archive Currency",
        description:
          "Archives the currency: it takes no new entries (409) and its balances stay readable. The default currency " +
          "cannot be archived (409). `POST …/unarchive` undoes it.",
        params: currencyParams,
        response: responses("realm", one, [400, 404, 409]),
      },
    },
    async (request, reply) => {
      const ctx = writeContext(request, request.params.realmId);
      const archived = await core.setCurrencyArchived(ctx.realmId, request.params.currencyId, true, ctx.idempotencyKey);
      markReplay(reply, archived.replayed);
      return render.currency(archived);
    },
  );

  r.post(
    `${base}/unarchive`,
    {
      config: write,
      schema: {
        tags,
        summary: "Unarchive Currency",
        params: currencyParams,
        response: responses("realm", one, [400, 404, 409]),
      },
    },
    async (request, reply) => {
      const ctx = writeContext(request, request.params.realmId);
      const restored = await core.setCurrencyArchived(
        ctx.realmId,
        request.params.currencyId,
        false,
        ctx.idempotencyKey,
      );
      markReplay(reply, restored.replayed);
      return render.currency(restored);
    },
  );

  r.patch(
    `${base}/metadata`,
    {
      config: write,
      schema: {
        tags,
        summary: "Update Currency Metadata",
        description: "Merges the keys into the currency's metadata; a key set to null is removed.",
        params: currencyParams,
        body: z
          .strictObject({ metadata: z.record(z.string(), z.unknown()) })
          .meta({ examples: [{ metadata: { season: "spring" } }] }),
        response: responses("realm", one, WRITE_ERRORS),
      },
    },
    async (request, reply) => {
      const ctx = writeContext(request, request.params.realmId);
      const updated = await core.updateCurrencyMetadata(
        ctx.realmId,
        request.params.currencyId,
        request.body.metadata,
        ctx.idempotencyKey,
      );
      markReplay(reply, updated.replayed);
      return render.currency(updated);
    },
  );
}
