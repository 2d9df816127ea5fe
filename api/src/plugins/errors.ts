import { httpStatusOf, isDatabaseUnavailable, isTallyError } from "@tally/core";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { z } from "zod";

/**
 * Two error dialects, one per vendor: the credit routes answer `{ message }`, the realm routes `{ error, message }`.
 * A route picks its dialect with `config: { errorStyle: "credit" }`; realm is the default.
 */
declare module "fastify" {
  interface FastifyContextConfig {
    errorStyle?: "credit" | "realm";
  }
}

export const INVALID_JSON = "Invalid JSON format in request body";
export const USER_NOT_FOUND = "Can not find user with the given user_id.";
/** Seconds a client should wait before retrying a 503. */
export const RETRY_AFTER_SECONDS = 1;

/** An error the API itself raises (auth, rate limit, body parsing), in the realm dialect's code vocabulary. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    /** `malformed`: the body is not JSON at all, which the credit dialect answers with its fixed message. */
    readonly options: { malformed?: boolean; headers?: Record<string, string> } = {},
  ) {
    super(message);
  }
}

/** 401 with the challenge RFC 6750 asks for, so clients know to send a bearer key. */
export const unauthorized = (message: string) =>
  new HttpError(401, "UNAUTHORIZED", message, { headers: { "www-authenticate": 'Bearer realm="tally"' } });

export function registerErrorHandler(app: FastifyInstance): void {
  // Fastify's own closing 503 has a fixed body; this one speaks the route's dialect (app.ts turns Fastify's off).
  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
  });
  // Callback hooks, not async ones: every request runs them, and an async hook costs a promise and a microtask each.
  app.addHook("onRequest", (request, reply, done) => {
    if (!closing) return done();
    reply.header("connection", "close");
    unavailable(request, reply, "The server is shutting down; retry shortly.");
  });
  app.setNotFoundHandler((request, reply) => {
    send(request, reply, 404, "NOT_FOUND", `No route ${request.method} ${request.url.split("?")[0]}.`);
  });
  // NUL cannot be stored by PostgreSQL; refuse it in the path or query before anything reads them.
  app.addHook("onRequest", (request, _reply, done) => {
    if (!request.url.includes("%00")) return done();
    done(new HttpError(400, "VALIDATION", "The URL must not contain NUL characters (%00)."));
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const credit = request.routeOptions.config?.errorStyle === "credit";
    if (isTallyError(error)) {
      const message =
        credit && error.code === "NOT_FOUND" && error.details?.subject === "user" ? USER_NOT_FOUND : error.message;
      const retryAfter = error.details?.retryAfterSeconds;
      if (typeof retryAfter === "number") reply.header("retry-after", String(retryAfter));
      return send(request, reply, httpStatusOf(error.code), error.code, message);
    }
    if (error instanceof HttpError) {
      if (error.options.headers) reply.headers(error.options.headers);
      const message = credit && error.options.malformed ? INVALID_JSON : error.message;
      return send(request, reply, error.statusCode, error.code, message);
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const where = error.validationContext === "querystring" ? "query" : (error.validationContext ?? "request");
      if (credit && where === "body") return send(request, reply, 400, "VALIDATION", INVALID_JSON);
      const issues = error.validation.map((entry) =>
        describeIssue(where, {
          ...(entry.params as Partial<ZodIssue>),
          code: entry.keyword,
          message: entry.message,
          path: entry.instancePath.split("/").filter(Boolean),
        }),
      );
      return send(request, reply, 400, "VALIDATION", [...new Set(issues)].join("; "));
    }
    switch (error.code) {
      case "FST_ERR_CTP_INVALID_JSON_BODY":
      case "FST_ERR_CTP_EMPTY_JSON_BODY":
      case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
        return send(request, reply, 400, "VALIDATION", credit ? INVALID_JSON : "The request body is not valid JSON.");
      case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
        return send(
          request,
          reply,
          credit ? 400 : 415,
          "UNSUPPORTED_MEDIA_TYPE",
          credit ? INVALID_JSON : "Send the body as application/json.",
        );
      case "FST_ERR_CTP_BODY_TOO_LARGE":
        return send(request, reply, 413, "PAYLOAD_TOO_LARGE", "The request body is too large.");
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return send(request, reply, error.statusCode, "BAD_REQUEST", error.message);
    }
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ err: error }, "database unavailable");
      return unavailable(request, reply, "The database is unavailable right now; retry shortly.");
    }
    request.log.error({ err: error }, "unhandled error");
    return send(request, reply, 500, "INTERNAL", "Something went wrong on our side; the request may be retried.");
  });
}

/** 503 with `Retry-After`, in the route's dialect: the database is away, or the server is shutting down. */
export function unavailable(request: FastifyRequest, reply: FastifyReply, message: string) {
  reply.header("retry-after", String(RETRY_AFTER_SECONDS));
  return send(request, reply, 503, "UNAVAILABLE", message);
}

function send(request: FastifyRequest, reply: FastifyReply, status: number, code: string, message: string) {
  const credit = request.routeOptions.config?.errorStyle === "credit";
  return reply.code(status).send(credit ? { message } : { error: code, message });
}

interface ZodIssue {
  code: string;
  path: string[];
  message?: string | undefined;
  expected?: string;
  keys?: string[];
  values?: unknown[];
  origin?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
  format?: string;
}

/** One zod issue as a sentence that starts with the field: `body.amount must be an integer`, `query.value is required`. */
export function describeIssue(where: string, issue: ZodIssue): string {
  const field = [where, ...issue.path].join(".");
  switch (issue.code) {
    case "invalid_type":
      // zod leaves the input out of issues; its message says what it received.
      if (/received undefined/.test(issue.message ?? "")) return `${field} is required`;
      return `${field} must be ${article(issue.expected ?? "value")}`;
    case "unrecognized_keys":
      return (issue.keys ?? []).map((key) => `${field}.${key} is not a known field`).join("; ");
    case "invalid_value":
      return `${field} must be one of ${(issue.values ?? []).map(String).join(", ")}`;
    case "too_small":
    case "too_big": {
      const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
      const least = issue.code === "too_small" ? "at least" : "at most";
      if (issue.origin === "string") return `${field} must be ${least} ${bound} character${bound === 1 ? "" : "s"}`;
      if (issue.origin === "array") return `${field} must have ${least} ${bound} item${bound === 1 ? "" : "s"}`;
      const strict = issue.inclusive === false;
      const relation = issue.code === "too_small" ? (strict ? "greater than" : least) : strict ? "less than" : least;
      return `${field} must be ${relation} ${bound}`;
    }
    case "invalid_union":
      return `${field} does not match any accepted form`;
    case "invalid_format":
      return `${field} must be a valid ${issue.format ?? "value"}`;
    default:
      return `${field} ${issue.message ?? "is not valid"}`;
  }
}

const article = (noun: string) => (/^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`);

/** Error body schemas of the two dialects, for the OpenAPI document and the response serializer. */
export const creditError = z.object({ message: z.string() }).meta({ id: "CreditError" });
export const realmError = z.object({ error: z.string(), message: z.string() }).meta({ id: "RealmError" });

const why: Record<number, string> = {
  400: "Invalid input; the message names the field",
  401: "Missing, unknown or revoked API key (with `WWW-Authenticate: Bearer`)",
  403: "The API key belongs to another realm",
  404: "Not found",
  409: "Conflict: a duplicate, or an Idempotency-Key reused for a different request",
  413: "The request body is too large",
  415: "The body is not application/json",
  422: "Refused: an invalid amount, insufficient balance or a balance limit",
  429: "Rate limited; retry after `Retry-After` seconds",
  503: "Unavailable (database unreachable or shutting down); retry after `Retry-After` seconds",
};

/** The error responses a route can give, in its dialect. */
export function errorResponses(style: "credit" | "realm", statuses: number[]) {
  const schema = style === "credit" ? creditError : realmError;
  return Object.fromEntries(statuses.map((status) => [status, schema.describe(why[status] ?? "Error")]));
}

/**
 * Every response an authenticated route can give: its successes, the errors it names, and the ones every such route
 * shares (401, 429, 503; 403 for realm routes, whose path names a realm).
 */
export function responses<T extends Record<number, z.ZodType>>(
  style: "credit" | "realm",
  ok: T,
  statuses: number[],
): T {
  const shared = style === "realm" ? [401, 403, 429, 503] : [401, 429, 503];
  // Typed as the successes only: handlers return those, the error handler sends the rest.
  return { ...ok, ...errorResponses(style, [...new Set([...statuses, ...shared])].sort()) };
}
