import { type ErrorCode, isDatabaseUnavailable, isTallyError } from "@tally/core";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";

/**
 * Two error dialects, one per vendor: the credit routes answer `{ message }`, the realm routes `{ error, message }`.
 * A route picks its dialect with `config: { errorStyle: "credit" }`; realm is the default.
 */
declare module "fastify" {
  interface FastifyContextConfig {
    errorStyle?: "credit" | "realm";
  }
}

/** The one place a core error code becomes an HTTP status: a new code fails to compile until it is mapped. */
export function statusOf(code: ErrorCode): number {
  switch (code) {
    case "VALIDATION":
      return 400;
    case "FORBIDDEN":
      return 403;
    case "NOT_FOUND":
      return 404;
    case "CONFLICT":
    case "IDEMPOTENCY_CONFLICT":
      return 409;
    case "INVALID_AMOUNT":
    case "INSUFFICIENT_BALANCE":
    case "BALANCE_LIMIT":
      return 422;
    default: {
      const unmapped: never = code;
      throw new Error(`unmapped error code ${String(unmapped)}`);
    }
  }
}

export const INVALID_JSON = "Invalid JSON format in request body";
export const USER_NOT_FOUND = "Can not find user with the given user_id.";
/** Seconds a client should wait before retrying a 503. */
export const RETRY_AFTER_SECONDS = 1;

/** An error the API itself raises (auth, rate limit), in the realm dialect's code vocabulary. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function registerErrorHandler(app: FastifyInstance): void {
  // Fastify's own closing 503 has a fixed body; this one speaks the route's dialect (app.ts turns Fastify's off).
  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
  });
  app.addHook("onRequest", async (request, reply) => {
    if (!closing) return;
    reply.header("connection", "close");
    return unavailable(request, reply, "The server is shutting down; retry shortly.");
  });
  app.setNotFoundHandler((request, reply) => {
    send(request, reply, 404, "NOT_FOUND", `No route ${request.method} ${request.url.split("?")[0]}.`);
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const credit = request.routeOptions.config?.errorStyle === "credit";
    if (isTallyError(error)) {
      const message =
        credit && error.code === "NOT_FOUND" && error.details?.subject === "user" ? USER_NOT_FOUND : error.message;
      return send(request, reply, statusOf(error.code), error.code, message);
    }
    if (error instanceof HttpError) {
      return send(request, reply, error.statusCode, error.code, error.message);
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const where = error.validationContext;
      if (credit && where === "body") return send(request, reply, 400, "VALIDATION", INVALID_JSON);
      const issues = error.validation.map((issue) => {
        const path = [where, ...((issue.params as { issue?: { path?: unknown[] } }).issue?.path ?? [])]
          .filter((p) => p !== undefined && p !== "")
          .join(".");
        return `${path || where}: ${issue.message}`;
      });
      return send(request, reply, 400, "VALIDATION", issues.join("; "));
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
