import type { BalanceService, CredentialRow, Identifier } from "@tally/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { responses } from "../plugins/errors.ts";
import * as render from "../render.ts";
import { markReplay, writeContext } from "../write-context.ts";
import { credentialOf, identifierQuery, realmParams } from "./realm-credentials.ts";

const metadata = z.record(z.string(), z.unknown());
const accountId = z
  .string()
  .min(1)
  .max(64)
  .optional()
  .describe("A member's id (dripId): the credential is created on that member instead of as a ghost");
const created = render.schemas.credential.extend({
  accountId: z.string().describe("The member's id, or the ghost account holding the credential's points"),
  linked: z.boolean(),
});
const socialCreated = created.extend({ oauthProvider: z.string(), oauthAccountId: z.string() });
const WRITE_ERRORS = [400, 404, 409, 413, 415];

/** Social providers with a credential type of their own; any other provider is a `custom` credential of that source. */
const PROVIDER_TYPES: Record<string, "twitter-id" | "discord-id"> = {
  twitter: "twitter-id",
  x: "twitter-id",
  discord: "discord-id",
};

const asCreated = (c: CredentialRow) => ({ ...render.credential(c), accountId: c.accountId, linked: c.linked });

/** Drip's credential administration (tag Credentials): create ghost credentials, delete unused ones, metadata. */
export function realmCredentialAdminRoutes(app: FastifyInstance, core: BalanceService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["credentials"];
  const write = { write: true } as const;
  const base = "/api/v1/realms/:realmId/credentials";

  r.post(
    `${base}/social`,
    {
      config: write,
      schema: {
        tags,
        summary: "Create a social credential",
        description:
          "Creates a credential nobody has claimed yet (a ghost account holds its points until it is linked), or one " +
          "on a member when `accountId` names one. `twitter`/`x` and `discord` give twitter-id and discord-id " +
          "credentials; any other provider a `custom` credential with that source. `username` is kept in metadata.",
        params: realmParams,
        body: z
          .strictObject({
            provider: z.string().min(1).max(64).describe("twitter, discord, or any other provider name"),
            providerId: z.string().min(1).max(256).describe("The user's id at the provider"),
            username: z.string().max(256).optional(),
            accountId,
            metadata: metadata.optional(),
          })
          .meta({ examples: [{ provider: "twitter", providerId: "1234567890", username: "ada_codes" }] }),
        response: responses("realm", { 201: socialCreated }, WRITE_ERRORS),
      },
    },
    async (request, reply) => {
      const ctx = writeContext(request, request.params.realmId);
      const { provider, providerId, username } = request.body;
      const lower = provider.trim().toLowerCase();
      const type = PROVIDER_TYPES[lower];
      const identifier = type
        ? credentialOf({ type, value: providerId })
        : credentialOf({ type: "custom", value: providerId, source: lower });
      const meta = username === undefined ? request.body.metadata : { ...request.body.metadata, username };
      const credential = await core.createCredential(ctx, identifier, {
        metadata: meta,
        accountId: request.body.accountId,
      });
      markReplay(reply, credential.replayed);
      return reply.code(201).send({ ...asCreated(credential), oauthProvider: lower, oauthAccountId: identifier.value });
    },
  );

  r.post(
    `${base}/wallet`,
    {
      config: write,
      schema: {
        tags,
        summary: "Create a wallet credential",
        description:
          "Creates a wallet credential nobody has claimed yet (or on the member `accountId` names). An EVM address " +
          "is stored lower-cased; other chains' addresses as given.",
        params: realmParams,
        body: z
          .strictObject({ address: z.string().min(1).max(256), accountId, metadata: metadata.optional() })
          .meta({ examples: [{ address: "0x742d35Cc6634C0532925a3b844Bc454e4438f44e" }] }),
        response: responses("realm", { 201: created }, WRITE_ERRORS),
      },
    },
    async (request, reply) => {
      const ctx = writeContext(request, request.params.realmId);
      const identifier = credentialOf({ type: "wallet", value: request.body.address });
      const credential = await core.createCredential(ctx, identifier, request.body);
      markReplay(reply, credential.replayed);
      return reply.code(201).send(asCreated(credential));
    },
  );

  r.delete(
    base,
    {
      config: write,
      schema: {
        tags,
        summary: "Delete a non-verified credential (linked or unlinked, only if no balances exist)",
        description:
          "Tally verifies no credential, so any credential qualifies; one whose account holds a non-zero balance is " +
          "a 409. Its ledger entries stay.",
        params: realmParams,
        querystring: identifierQuery("wallet", "0x742d35cc6634c0532925a3b844bc454e4438f44e"),
        response: responses(
          "realm",
          { 200: z.object({ success: z.boolean(), credentialId: z.string() }) },
          [400, 404, 409],
        ),
      },
    },
    async (request, reply) => {
      const ctx = writeContext(request, request.params.realmId);
      const removed = await core.deleteCredential(ctx, credentialOf(request.query));
      markReplay(reply, removed.replayed);
      return { success: true, credentialId: removed.id };
    },
  );

  r.patch(
    `${base}/metadata`,
    {
      config: write,
      schema: {
        tags,
        summary: "Update custom metadata for a credential by identifier",
        description: "Merges the keys into the credential's metadata; a key set to null is removed.",
        params: realmParams,
        querystring: identifierQuery("twitter-id", "1234567890"),
        body: z.strictObject({ metadata }).meta({ examples: [{ metadata: { campaign: "launch-week" } }] }),
        response: responses("realm", { 200: created }, WRITE_ERRORS),
      },
    },
    async (request, reply) => {
      const ctx = writeContext(request, request.params.realmId);
      const identifier: Identifier = credentialOf(request.query);
      const updated = await core.updateCredentialMetadata(ctx, identifier, request.body.metadata);
      markReplay(reply, updated.replayed);
      return asCreated(updated);
    },
  );
}
