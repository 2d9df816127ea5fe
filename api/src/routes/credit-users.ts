import { type BalanceService, toJsonAmount } from "@tally/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { realmOf } from "../plugins/auth.ts";
import { responses } from "../plugins/errors.ts";
import { jsonNumber } from "../plugins/json-body.ts";
import * as render from "../render.ts";
import { markReplay, writeContext } from "../write-context.ts";

const userIdParams = z.object({
  user_id: z
    .string()
    .min(1)
    .max(128)
    .meta({ examples: ["u-ada"] }),
});
const page = z.object({
  cursor: z.string().max(512).optional().describe("next_cursor of the previous page"),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .optional()
    .meta({ examples: [20] }),
});
const metadata = z.record(z.string(), z.unknown()).refine((m) => JSON.stringify(m).length <= 8_192, {
  message: "must be at most 8 KiB of JSON",
});
const userBody = z.object({
  email: z.string().max(320).nullish(),
  name: z.string().max(200).nullish(),
  metadata: metadata.nullish(),
});
const credits = z.object({ message: z.string(), credit_balance: jsonNumber });
const page200 = (key: string, item: z.ZodType) =>
  z.object({ message: z.string(), [key]: z.array(item), next_cursor: z.string().nullable() });

/**
 * The credit-style API (`/users/...`): one balance per user in the realm's default currency, answered in the
 * original vendor's `{ message, … }` dialect. Unknown body fields are ignored (never stored), as its clients expect.
 */
export function creditUserRoutes(app: FastifyInstance, core: BalanceService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const config = { errorStyle: "credit" } as const;
  const write = { errorStyle: "credit", write: true } as const;
  const tags = ["users (credits)"];

  r.put(
    "/users/:user_id/credits",
    {
      config: write,
      schema: {
        tags,
        summary: "Update credit balance",
        params: userIdParams,
        body: z
          .object({
            credit_delta: jsonNumber.describe("Whole units: positive adds, negative deducts"),
            description: z.string().max(1000).optional(),
          })
          .meta({ examples: [{ credit_delta: 706, description: "signup bonus" }] }),
        response: responses("credit", { 200: credits }, [400, 404, 409, 413, 422]),
      },
    },
    async (request, reply) => {
      const change = await core.adjust(writeContext(request), {
        subject: { kind: "user", userId: request.params.user_id },
        amount: request.body.credit_delta,
        description: request.body.description,
      });
      markReplay(reply, change.replayed);
      return {
        message: "resource updated successfully",
        credit_balance: toJsonAmount(change.balance, change.currency.scale),
      };
    },
  );

  const readCredits = async (request: { params: { user_id: string } } & Parameters<typeof realmOf>[0]) => {
    const state = await core.balanceOf(realmOf(request), { kind: "user", userId: request.params.user_id });
    return {
      message: "fetch resource successfully",
      credit_balance: toJsonAmount(state.balance, state.currency.scale),
    };
  };
  const creditsSchema = {
    tags,
    summary: "Read credit balance",
    params: userIdParams,
    response: responses("credit", { 200: credits }, [400, 404]),
  };
  r.get("/users/:user_id/credits", { config, schema: creditsSchema }, readCredits);
  r.post("/users/:user_id/credits", { config, schema: creditsSchema }, readCredits);

  r.post(
    "/users",
    {
      config: write,
      schema: {
        tags,
        summary: "Create a user",
        body: userBody
          .extend({ user_id: z.string().max(128).optional().describe("Generated when omitted") })
          .optional()
          .meta({
            examples: [
              { user_id: "u-ada", email: "ada@example.com", name: "Ada Lovelace", metadata: { team: "core" } },
              { user_id: "u-grace", name: "Grace Hopper" },
            ],
          }),
        response: responses(
          "credit",
          {
            201: z.object({ message: z.string(), user_id: z.string().nullable(), user: render.schemas.user }),
          },
          [400, 409, 413],
        ),
      },
    },
    async (request, reply) => {
      const body = request.body ?? {};
      const account = await core.createUser(writeContext(request), {
        userId: body.user_id,
        email: body.email,
        name: body.name,
        metadata: body.metadata,
      });
      markReplay(reply, account.replayed);
      return reply
        .code(201)
        .send({ message: "resource created successfully", user_id: account.userId, user: render.user(account) });
    },
  );

  r.get(
    "/users",
    {
      config,
      schema: {
        tags,
        summary: "List users",
        querystring: page,
        response: responses("credit", { 200: page200("users", render.schemas.user) }, [400]),
      },
    },
    async (request) => {
      const result = await core.listUsers(realmOf(request), request.query);
      return {
        message: "fetch resource successfully",
        users: result.items.map(render.user),
        next_cursor: result.nextCursor,
      };
    },
  );

  const readUser = async (request: { params: { user_id: string } } & Parameters<typeof realmOf>[0]) => {
    const realmId = realmOf(request);
    const account = await core.getUser(realmId, request.params.user_id);
    const state = await core.balanceOf(realmId, { kind: "account", accountId: account.id });
    return {
      message: "fetch resource successfully",
      user: { ...render.user(account), credit_balance: toJsonAmount(state.balance, state.currency.scale) },
    };
  };
  const userSchema = {
    tags,
    summary: "Read a user",
    params: userIdParams,
    response: responses(
      "credit",
      { 200: z.object({ message: z.string(), user: render.schemas.user.extend({ credit_balance: jsonNumber }) }) },
      [400, 404],
    ),
  };
  r.get("/users/:user_id", { config, schema: userSchema }, readUser);
  r.post("/users/:user_id", { config, schema: userSchema }, readUser);

  r.put(
    "/users/:user_id",
    {
      config: write,
      schema: {
        tags,
        summary: "Update a user",
        params: userIdParams,
        body: userBody.meta({ examples: [{ name: "Ada King", metadata: { team: "analytics" } }] }),
        response: responses(
          "credit",
          { 200: z.object({ message: z.string(), user: render.schemas.user }) },
          [400, 404, 409, 413],
        ),
      },
    },
    async (request, reply) => {
      const account = await core.updateUser(writeContext(request), request.params.user_id, request.body);
      markReplay(reply, account.replayed);
      return { message: "resource updated successfully", user: render.user(account) };
    },
  );

  r.get(
    "/users/:user_id/transactions",
    {
      config,
      schema: {
        tags,
        summary: "A user's ledger entries, newest first",
        params: userIdParams,
        querystring: page,
        response: responses("credit", { 200: page200("transactions", render.schemas.entry) }, [400, 404]),
      },
    },
    async (request) => {
      const realmId = realmOf(request);
      const result = await core.history(realmId, {
        ...request.query,
        subject: { kind: "user", userId: request.params.user_id },
      });
      const scaleOf = await render.scalesOf(core, realmId);
      return {
        message: "fetch resource successfully",
        transactions: result.items.map((e) => render.entry(e, scaleOf)),
        next_cursor: result.nextCursor,
      };
    },
  );
}
