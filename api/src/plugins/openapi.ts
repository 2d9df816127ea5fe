import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance, RouteOptions } from "fastify";
import { jsonSchemaTransform, jsonSchemaTransformObject } from "fastify-type-provider-zod";

declare module "fastify" {
  interface FastifyContextConfig {
    /** A write that honours `Idempotency-Key`; the OpenAPI document says so. */
    write?: boolean;
  }
}

type JsonSchema = Record<string, unknown>;

const header = (description: string, schema: JsonSchema = { type: "string" }) => ({ ...schema, description });

const REQUEST_ID = header(
  "Identifies this request in Tally's logs; a sane `x-request-id` sent by the client is echoed back.",
);
const RATE_LIMIT = {
  "x-ratelimit-limit": header("Requests allowed per window for this API key.", { type: "integer" }),
  "x-ratelimit-remaining": header("Requests left in the current window.", { type: "integer" }),
  "x-ratelimit-reset": header("Seconds until the window resets.", { type: "integer" }),
};
const RETRY_AFTER = header("Seconds to wait before retrying.", { type: "integer" });

/**
 * The OpenAPI document at /docs/json and Swagger UI at /docs. Each route's zod schemas describe its parameters and
 * every response; this adds what every route shares: `x-request-id`, `Idempotency-Key` on writes, `Idempotent-Replayed`,
 * rate-limit headers, `Retry-After` and `WWW-Authenticate`.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Tally API",
        version: "1.0.0",
        description: [
          "Points and credits ledger.",
          "",
          "- **Auth**: `Authorization: Bearer <key>`; a missing, unknown or revoked key is 401 with",
          "  `WWW-Authenticate: Bearer`; a key used on another realm's route is 403.",
          "- **Idempotency**: every write takes an `Idempotency-Key` header (1-255 printable ASCII, per realm, across API",
          "  keys). The same key with the same request answers the stored result with `Idempotent-Replayed: true`; with a",
          "  different request it is 409. A refused request (4xx) leaves the key free.",
          "- **Request ids**: every response carries `x-request-id`.",
          "- **Limits**: 429 with `Retry-After` past the per-key rate limit, or past repeated 401s from one address;",
          "  503 with `Retry-After` while the database is unreachable.",
          "- **Amounts** are JSON numbers in whole units, read and written exactly (never through a rounded double).",
          "- **Operations**: `GET /healthz` (process up), `GET /readyz` (database reachable), `GET /metrics` (Prometheus).",
        ].join("\n"),
      },
      components: { securitySchemes: { BearerAuth: { type: "http", scheme: "bearer", bearerFormat: "API Key" } } },
      security: [{ BearerAuth: [] }],
    },
    // Named schemas (the two error dialects) become components the operations refer to.
    transformObject: jsonSchemaTransformObject,
    transform: (input) => {
      const { schema, url } = jsonSchemaTransform(input);
      return { schema: documentConventions(input.route, schema as JsonSchema), url };
    },
  });
  await app.register(swaggerUi, { routePrefix: "/docs", uiHooks: {} });
}

function documentConventions(route: RouteOptions, schema: JsonSchema): JsonSchema {
  const config = (route.config ?? {}) as { public?: boolean; write?: boolean };
  const slug = `${[route.method].flat()[0]}${route.url}`.toLowerCase().replace(/[^a-z0-9]+/g, "-");
  const result: JsonSchema = { ...schema };
  if (config.public) result.security = [];
  if (config.write) {
    result.headers = {
      type: "object",
      properties: {
        "idempotency-key": {
          type: "string",
          minLength: 1,
          maxLength: 255,
          description:
            "Makes the write safe to retry: the same key with the same request replays the first result " +
            "(`Idempotent-Replayed: true`); with a different request it is 409.",
          examples: [`example-${slug}`],
        },
      },
    };
  }
  const responses = (schema.response ?? {}) as Record<string, JsonSchema>;
  result.response = Object.fromEntries(
    Object.entries(responses).map(([status, response]) => {
      const code = Number(status);
      const headers: JsonSchema = { "x-request-id": REQUEST_ID };
      if (code < 300 && !config.public) Object.assign(headers, RATE_LIMIT);
      if (code < 300 && config.write) {
        headers["idempotent-replayed"] = header("`true` when this is the stored result of an earlier request.", {
          type: "string",
          enum: ["true"],
        });
      }
      if (code === 401) headers["www-authenticate"] = header('`Bearer realm="tally"`: send an API key.');
      if (code === 429 || code === 503) headers["retry-after"] = RETRY_AFTER;
      return [status, { ...response, headers }];
    }),
  );
  return result;
}
