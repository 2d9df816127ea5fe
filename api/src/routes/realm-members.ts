import { type BalanceChangeResult, type BalanceService, TallyError, toJsonAmount } from "@tally/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { realmOf } from "../plugins/auth.ts";
import { responses } from "../plugins/errors.ts";
import { jsonNumber } from "../plugins/json-body.ts";
import * as render from "../render.ts";
import { markReplay, writeContext } from "../write-context.ts";
import { amount, positiveAmount, realmParams } from "./realm-credentials.ts";

const memberParams = realmParams.extend({
  dripId: z.string().min(1).max(64).describe("The member's account id (Drip's dripId)"),
});
const currencyId = z
  .string()
  .max(64)
  .optional()
  .describe("Realm point (currency) id; the realm's default when omitted");
const initiatorId = z.string().max(128).optional().describe("Who asked for the change; recorded on the ledger entry");
const metadata = z.record(z.string(), z.unknown());
// Example ids a reader takes from an earlier answer (the test that presses every example does the same).
const FIRST_MEMBER = "<data.0.id of GET /api/v1/realms/{realmId}/members>";
const SECOND_MEMBER = "<data.1.id of GET /api/v1/realms/{realmId}/members>";
const ALL_WRITE_ERRORS = [400, 404, 409, 413, 415, 422];
const GUIDE_PATHS =
  "Drip's guides call older paths (`/realm/{id}/members/{memberId}/point-balance` with `{tokens}`); " +
  "this follows Drip's OpenAPI reference instead.";

/**
 * Drip's realm, member and member-balance routes (tags Realms, Realm-Members, Realm-Members-Balances). A member is a
 * member account; its id is Drip's `dripId`. Balance writes go through the same core calls as the credential routes.
 */
export function realmMemberRoutes(app: FastifyInstance, core: BalanceService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const base = "/api/v1/realms/:realmId";
  const write = { write: true } as const;

  r.get(
    base,
    {
      schema: {
        tags: ["realms"],
        summary: "Get Realm",
        description: "The realm of the path: the fields of Drip's realm that Tally has (others are left out).",
        params: realmParams,
        response: responses(
          "realm",
          { 200: z.object({ id: z.string(), name: z.string(), createdAt: z.string(), updatedAt: z.string() }) },
          [400, 404],
        ),
      },
    },
    async (request) => {
      const realm = await core.getRealm(realmOf(request, request.params.realmId));
      // The key's realm exists while the key does; a realm deleted under a live key is still a clean 404.
      if (!realm) throw new TallyError("NOT_FOUND", `No realm "${request.params.realmId}".`);
      return {
        id: realm.id,
        name: realm.name,
        createdAt: realm.createdAt.toISOString(),
        updatedAt: realm.updatedAt.toISOString(),
      };
    },
  );

  r.get(
    `${base}/members`,
    {
      schema: {
        tags: ["members"],
        summary: "List Realm Members",
        description:
          "Members oldest first with their credentials and balances, in cursor pages (Drip pages by number; Tally's " +
          "cursor pages stay exact while members are added).",
        params: realmParams,
        querystring: z.object({
          cursor: z.string().max(256).optional().describe("nextCursor of the previous page"),
          limit: z.coerce.number().int().min(1).max(100).optional(),
        }),
        response: responses(
          "realm",
          { 200: z.object({ data: z.array(render.schemas.member), nextCursor: z.string().nullable() }) },
          [400],
        ),
      },
    },
    async (request) => {
      const realmId = realmOf(request, request.params.realmId);
      const page = await core.listUsers(realmId, request.query);
      return { data: (await core.memberProfiles(page.items)).map(render.member), nextCursor: page.nextCursor };
    },
  );

  r.get(
    `${base}/members/search`,
    {
      schema: {
        tags: ["members"],
        summary: "Search Realm Member",
        description:
          "Members found by any of up to 100 comma-separated values of one type, each with its credentials and " +
          "balances. `username` matches a member's name, ignoring case; credential values are normalised as on writes.",
        params: realmParams,
        querystring: z.object({
          type: z
            .enum(["drip-id", "discord-id", "twitter-id", "wallet", "email", "username"])
            .meta({ examples: ["email"] }),
          values: z
            .string()
            .min(1)
            .max(30_000)
            .meta({ examples: ["grace@example.com,ada@example.com"] }),
        }),
        response: responses("realm", { 200: z.object({ data: z.array(render.schemas.member) }) }, [400]),
      },
    },
    async (request) => {
      const realmId = realmOf(request, request.params.realmId);
      const found = await core.searchMembers(realmId, request.query.type, request.query.values.split(","));
      return { data: found.map(render.member) };
    },
  );

  r.patch(
    `${base}/members/:dripId/metadata`,
    {
      config: write,
      schema: {
        tags: ["members"],
        summary: "Update Member Metadata",
        description: "Merges the keys into the member's metadata; a key set to null is removed.",
        params: memberParams,
        body: z.strictObject({ metadata }).meta({ examples: [{ metadata: { team: "analytics", tier: "gold" } }] }),
        response: responses("realm", { 200: render.schemas.member }, [400, 404, 409, 413, 415]),
      },
    },
    async (request, reply) => {
      const ctx = writeContext(request, request.params.realmId);
      const account = await core.updateMemberMetadata(ctx, request.params.dripId, request.body.metadata);
      markReplay(reply, account.replayed);
      const [profile] = await core.memberProfiles([account]);
      return render.member(profile ?? { ...account, credentials: [], balances: [] });
    },
  );

  r.patch(
    `${base}/members/:dripId/balance`,
    {
      config: write,
      schema: {
        tags: ["members"],
        summary: "Update Member Balance Of A Currency",
        description: `Adds (positive) or deducts (negative) points on a member. ${GUIDE_PATHS}`,
        params: memberParams,
        body: z
          .strictObject({ amount, currencyId, initiatorId })
          .meta({ examples: [{ amount: 100, initiatorId: "quest-bot" }] }),
        response: responses(
          "realm",
          {
            200: z.object({
              id: z.string().describe("The ledger entry written"),
              dripId: z.string(),
              balance: jsonNumber.describe("The member's balance after the change"),
              currencyId: z.string(),
            }),
          },
          ALL_WRITE_ERRORS,
        ),
      },
    },
    async (request, reply) => {
      const ctx = writeContext(request, request.params.realmId, request.body.initiatorId);
      await core.getMember(ctx.realmId, request.params.dripId);
      const change = await core.adjust(ctx, {
        subject: { kind: "account", accountId: request.params.dripId },
        amount: request.body.amount,
        currencyId: request.body.currencyId,
      });
      markReplay(reply, change.replayed);
      return {
        id: change.entryId,
        dripId: change.accountId,
        balance: toJsonAmount(change.balance, change.currency.scale),
        currencyId: change.currency.id,
      };
    },
  );

  r.patch(
    `${base}/members/transaction`,
    {
      config: write,
      schema: {
        tags: ["members"],
        summary: "Batch Update Member Balance Of A Currency",
        description:
          "Applies every update or none: one refusal (an unknown member, an overdraft) rolls the whole batch back and " +
          "the error names the item.",
        params: realmParams,
        body: z
          .strictObject({
            updates: z
              .array(z.strictObject({ dripId: z.string().min(1).max(64), amount, currencyId }))
              .min(1)
              .max(500),
            initiatorId,
          })
          .meta({
            examples: [
              {
                updates: [
                  { dripId: FIRST_MEMBER, amount: 5 },
                  { dripId: SECOND_MEMBER, amount: 3 },
                ],
              },
            ],
          }),
        response: responses(
          "realm",
          {
            200: z.object({
              success: z.boolean(),
              updates: z.array(
                z.object({
                  dripId: z.string(),
                  balance: jsonNumber.describe("The amount applied (Drip's name for it)"),
                  currencyId: z.string(),
                  newBalance: jsonNumber.describe("The member's balance right after this update"),
                }),
              ),
            }),
          },
          ALL_WRITE_ERRORS,
        ),
      },
    },
    async (request, reply) => {
      const ctx = writeContext(request, request.params.realmId, request.body.initiatorId);
      const { updates } = request.body;
      for (const [index, update] of updates.entries()) {
        await core.getMember(ctx.realmId, update.dripId).catch((error: unknown) => {
          if (error instanceof TallyError) throw new TallyError(error.code, `updates[${index}]: ${error.message}`);
          throw error;
        });
      }
      const result = await core
        .batch(
          ctx,
          updates.map((u) => ({
            subject: { kind: "account", accountId: u.dripId },
            amount: u.amount,
            currencyId: u.currencyId,
          })),
        )
        .catch((error: unknown) => {
          // Core names the refused item by its index; say it in the request's words.
          const index = error instanceof TallyError ? error.details?.index : undefined;
          if (error instanceof TallyError && typeof index === "number" && !error.message.startsWith("Item")) {
            throw new TallyError(error.code, `updates[${index}]: ${error.message}`, error.details);
          }
          throw error;
        });
      markReplay(reply, result.replayed);
      return {
        success: true,
        updates: updates.map((u, i) => {
          const change = result.changes[i] as BalanceChangeResult;
          return {
            dripId: u.dripId,
            balance: u.amount,
            currencyId: change.currency.id,
            newBalance: toJsonAmount(change.balance, change.currency.scale),
          };
        }),
      };
    },
  );

  r.patch(
    `${base}/members/:dripId/transfer`,
    {
      config: write,
      schema: {
        tags: ["members"],
        summary: "Transfer Member Balance Of A Currency",
        description: "Moves points from the member in the path to `recipientId`, in one transaction.",
        params: memberParams,
        body: z
          .strictObject({
            amount: positiveAmount.describe("Amount to transfer, at least 1"),
            recipientId: z.string().min(1).max(64).describe("The receiving member's id"),
            currencyId,
          })
          .meta({ examples: [{ amount: 1, recipientId: SECOND_MEMBER }] }),
        response: responses(
          "realm",
          {
            200: z.object({
              id: z.string().describe("The sender's ledger entry"),
              senderId: z.string(),
              recipientId: z.string(),
              balance: jsonNumber.describe("The sender's balance after the transfer"),
              currencyId: z.string(),
            }),
          },
          ALL_WRITE_ERRORS,
        ),
      },
    },
    async (request, reply) => {
      const ctx = writeContext(request, request.params.realmId);
      await core.getMember(ctx.realmId, request.params.dripId);
      await core.getMember(ctx.realmId, request.body.recipientId);
      const result = await core.transfer(ctx, {
        from: { kind: "account", accountId: request.params.dripId },
        to: { kind: "account", accountId: request.body.recipientId },
        amount: request.body.amount,
        currencyId: request.body.currencyId,
      });
      markReplay(reply, result.replayed);
      return {
        id: result.from.entryId,
        senderId: result.from.accountId,
        recipientId: result.to.accountId,
        balance: toJsonAmount(result.from.balance, result.currency.scale),
        currencyId: result.currency.id,
      };
    },
  );
}
