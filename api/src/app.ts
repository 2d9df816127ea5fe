import { randomUUID } from "node:crypto";
import rateLimit, { type RateLimitPluginOptions } from "@fastify/rate-limit";
import { type BalanceService, inRequestScope } from "@tally/core";
import { type DashboardOptions, registerDashboard } from "@tally/web";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from "fastify";
import { validatorCompiler } from "fastify-type-provider-zod";
import { type AuthLimits, registerAuth } from "./plugins/auth.ts";
import { HttpError, registerErrorHandler } from "./plugins/errors.ts";
import { registerJsonBody } from "./plugins/json-body.ts";
import { registerMetrics } from "./plugins/metrics.ts";
import { registerOpenApi } from "./plugins/openapi.ts";
import { botTransportRoutes, type RawHandler } from "./routes/bot-transports.ts";
import { creditUserRoutes } from "./routes/credit-users.ts";
import { operationsRoutes } from "./routes/operations.ts";
import { realmAuditRoutes } from "./routes/realm-audit.ts";
import { realmCredentialAdminRoutes } from "./routes/realm-credential-admin.ts";
import { realmCredentialRoutes } from "./routes/realm-credentials.ts";
import { realmCurrencyRoutes } from "./routes/realm-currencies.ts";
import { realmExportRoutes } from "./routes/realm-export.ts";
import { realmGivingRoutes } from "./routes/realm-giving.ts";
import { realmLedgerRoutes } from "./routes/realm-ledger.ts";
import { realmLinkCodeRoutes } from "./routes/realm-link-codes.ts";
import { realmMemberRoutes } from "./routes/realm-members.ts";
import { realmReversalRoutes } from "./routes/realm-reversals.ts";
import { realmSettingsRoutes } from "./routes/realm-settings.ts";
import { webhookRoutes } from "./routes/webhooks.ts";

export interface AppDeps {
  core: BalanceService;
  logger?: boolean | FastifyServerOptions["logger"];
  /** The process's own pino logger (main.ts), used instead of `logger`. */
  loggerInstance?: FastifyBaseLogger | undefined;
  /**
   * Requests per window per API key; `false` turns the limit off (benchmarks). `store`: a `@fastify/rate-limit` store
   * shared by every process (`sharedRateLimitStore`); the default counts in this process only.
   */
  rateLimit?: { max: number; timeWindowMs: number; store?: RateLimitPluginOptions["store"] } | false;
  /**
   * Subscribes to revocations of API keys (their SHA-256), so the key cache drops them at once; `onMissed` when
   * revocations may have been missed (the listening restarted), so it drops every key.
   */
  keyRevocations?: ((onRevoked: (keyHash: string) => void, onMissed: () => void) => void) | undefined;
  /** 401s allowed per client address per window before 429 (default 120 a minute). */
  authLimits?: AuthLimits;
  bodyLimit?: number;
  /** Raw-body HTTP transports of the bots, mounted when present. */
  discordInteractions?: RawHandler | undefined;
  slackEvents?: RawHandler | undefined;
  /** Throws when the database is unreachable (for /readyz). */
  ready?: () => Promise<void>;
  /** The web dashboard under /dashboard (main.ts mounts it; `now` lets tests move the clock). */
  dashboard?: Omit<DashboardOptions, "core"> | undefined;
  /** TALLY_TRUST_PROXY: take the client address and https from X-Forwarded-* (behind a reverse proxy). */
  trustProxy?: boolean | undefined;
  /** TALLY_WEBHOOK_ALLOW_PRIVATE: whether webhooks may target loopback and private addresses (default true). */
  webhookAllowPrivate?: boolean;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** The HTTP surface of Tally as a Fastify instance, not yet listening (tests listen on port 0). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const logger =
    deps.logger && typeof deps.logger === "object"
      ? { ...deps.logger, redact: ["req.headers.authorization", "req.headers.cookie"] }
      : (deps.logger ?? false);
  const app = Fastify({
    ...(deps.loggerInstance ? { loggerInstance: deps.loggerInstance } : { logger }),
    bodyLimit: deps.bodyLimit ?? 256 * 1024,
    requestIdHeader: false,
    // Honour a caller's request id when it is sane, so logs can be joined across services.
    genReqId: (request) => {
      const incoming = request.headers["x-request-id"];
      return typeof incoming === "string" && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    trustProxy: deps.trustProxy ?? false,
    return503OnClosing: false, // the error handler answers 503 while closing, in the route's dialect
  });
  app.setValidatorCompiler(validatorCompiler);
  registerJsonBody(app);
  app.addHook("onRequest", (request, reply, done) => {
    reply.header("x-request-id", request.id);
    done();
  });
  // One scope per request: after it writes, its reads stay on the primary (DATABASE_REPLICA_URL). Only with a replica:
  // the scope is an AsyncLocalStorage, and running one turns on async hooks for every promise of the process.
  if (deps.core.routesReads) app.addHook("onRequest", (_request, _reply, done) => inRequestScope(done));
  registerErrorHandler(app);
  registerAuth(app, deps.core, deps.authLimits, deps.keyRevocations);

  const limit = deps.rateLimit ?? { max: 6000, timeWindowMs: 60_000 };
  if (limit) {
    await app.register(rateLimit, {
      global: true,
      hook: "preHandler", // after authentication, so the limit is per API key
      max: limit.max,
      timeWindow: limit.timeWindowMs,
      ...(limit.store ? { store: limit.store, skipOnError: true } : {}),
      keyGenerator: (request) => request.apiKey?.id ?? request.ip,
      errorResponseBuilder: (_request, context) =>
        new HttpError(
          429,
          "RATE_LIMITED",
          `Too many requests: at most ${context.max} per ${context.after}. Retry later.`,
        ),
    });
  }

  await registerOpenApi(app);
  registerMetrics(app, deps.core);
  // A browser that opens the server's root wants the API's documentation.
  app.get("/", { config: { public: true, rateLimit: false }, schema: { hide: true } }, (_request, reply) =>
    reply.redirect("/docs", 302),
  );

  operationsRoutes(app, deps.ready);
  creditUserRoutes(app, deps.core);
  realmCredentialRoutes(app, deps.core);
  realmLedgerRoutes(app, deps.core);
  realmGivingRoutes(app, deps.core);
  realmMemberRoutes(app, deps.core);
  realmCredentialAdminRoutes(app, deps.core);
  realmCurrencyRoutes(app, deps.core);
  realmLinkCodeRoutes(app, deps.core);
  realmAuditRoutes(app, deps.core);
  realmExportRoutes(app, deps.core);
  realmReversalRoutes(app, deps.core);
  realmSettingsRoutes(app, deps.core);
  webhookRoutes(app, deps.core, { allowPrivate: deps.webhookAllowPrivate ?? true });
  botTransportRoutes(app, deps);
  if (deps.dashboard) {
    await registerDashboard(app, {
      core: deps.core,
      webhookAllowPrivate: deps.webhookAllowPrivate ?? true,
      ...deps.dashboard,
    });
  }
  return app;
}
