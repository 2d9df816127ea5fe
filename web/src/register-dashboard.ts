import cookie from "@fastify/cookie";
import csrf from "@fastify/csrf-protection";
import formbody from "@fastify/formbody";
import helmet from "@fastify/helmet";
import {
  type BalanceService,
  type DashboardIdentity,
  httpStatusOf,
  isDatabaseUnavailable,
  isTallyError,
} from "@tally/core";
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from "fastify";
import { html } from "./html.ts";
import { notice, page } from "./layout.ts";
import { type DashboardContext, SESSION_COOKIE } from "./page-frame.ts";
import { apiKeyPages } from "./pages/api-keys.ts";
import { botPages } from "./pages/bots.ts";
import { currencyPages } from "./pages/currencies.ts";
import { currencyEditPages } from "./pages/currency-edit.ts";
import { leaderboardPage } from "./pages/leaderboard.ts";
import { ledgerPages } from "./pages/ledger.ts";
import { memberPage } from "./pages/member.ts";
import { overviewPage } from "./pages/overview.ts";
import { publicLeaderboardPage } from "./pages/public-leaderboard.ts";
import { settingsPages } from "./pages/settings.ts";
import { signInPages } from "./pages/sign-in.ts";
import { webhookPages } from "./pages/webhooks.ts";
import { serveAssets } from "./serve-assets.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** The signed-in manager's realm and identity (dashboard pages behind the session check only). */
    dashboard: DashboardIdentity;
  }
}

export interface DashboardOptions {
  core: BalanceService;
  /** The clock sessions and links are checked against (tests move it forward). */
  now?: (() => Date) | undefined;
  /** TALLY_WEBHOOK_ALLOW_PRIVATE, as the API is given it: whether webhook URLs may point at private addresses. */
  webhookAllowPrivate?: boolean | undefined;
  /** TALLY_PUBLIC_URL: the base of the public page's address that settings show (else the request's own). */
  publicUrl?: string | undefined;
}

// Only this server's own scripts and styles, no inline ones; shared by the dashboard and the public pages.
const HELMET = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", "data:"],
      connectSrc: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
  },
};

/** Browser pages: outside the API-key check and the OpenAPI document. */
const browserRoute = (route: RouteOptions) => {
  route.config = { ...route.config, public: true };
  route.schema = { ...route.schema, hide: true };
};

/**
 * The dashboard under `/dashboard`: server-rendered pages behind a server-side session, a CSRF token on every form,
 * and a Content-Security-Policy that allows only this server's own scripts and styles.
 */
export async function registerDashboard(app: FastifyInstance, options: DashboardOptions): Promise<void> {
  const ctx: DashboardContext = {
    core: options.core,
    now: options.now ?? (() => new Date()),
    webhookAllowPrivate: options.webhookAllowPrivate ?? true,
    publicUrl: options.publicUrl,
  };
  await app.register(
    async (scope) => {
      scope.addHook("onRoute", browserRoute);
      await scope.register(cookie);
      await scope.register(formbody);
      await scope.register(csrf, {
        sessionPlugin: "@fastify/cookie",
        cookieKey: "tally_csrf",
        cookieOpts: { path: "/dashboard", sameSite: "lax", httpOnly: true },
      });
      await scope.register(helmet, HELMET);
      scope.decorateRequest("dashboard", undefined as unknown as DashboardIdentity);
      scope.setErrorHandler((error, request, reply) => renderError(error, request, reply));
      scope.setNotFoundHandler((_request, reply) =>
        reply
          .code(404)
          .type("text/html; charset=utf-8")
          .send(page({ title: "Not found" }, notice("error", "There is no such dashboard page."))),
      );
      serveAssets(scope);
      signInPages(scope, ctx);

      await scope.register(async (pages) => {
        pages.addHook("preHandler", async (request, reply) => {
          const id = request.cookies[SESSION_COOKIE];
          const who = id ? await ctx.core.dashboard.readSession(id, ctx.now()) : undefined;
          if (!who) {
            if (request.method === "GET") return reply.redirect("/dashboard/login", 303);
            return reply
              .code(401)
              .type("text/html; charset=utf-8")
              .send(
                page(
                  { title: "Signed out" },
                  notice("error", html`Your session ended. <a href="/dashboard/login">Sign in again</a>.`),
                ),
              );
          }
          request.dashboard = who;
          reply.header("cache-control", "no-store");
        });
        pages.addHook("preHandler", (request, reply, done) => {
          if (request.method === "GET" || request.method === "HEAD") return done();
          pages.csrfProtection(request, reply, done);
        });
        overviewPage(pages, ctx);
        leaderboardPage(pages, ctx);
        ledgerPages(pages, ctx);
        memberPage(pages, ctx);
        currencyPages(pages, ctx);
        currencyEditPages(pages, ctx);
        apiKeyPages(pages, ctx);
        webhookPages(pages, ctx);
        botPages(pages, ctx);
        settingsPages(pages, ctx);
      });
    },
    { prefix: "/dashboard" },
  );
  // The public pages: no session, no cookie, no form that writes; the same CSP.
  await app.register(
    async (scope) => {
      scope.addHook("onRoute", browserRoute);
      await scope.register(helmet, HELMET);
      publicLeaderboardPage(scope, ctx);
    },
    { prefix: "/r" },
  );
}

function renderError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  let status = 500;
  let message = "Something went wrong on the server. Nothing is known to have changed.";
  if (isTallyError(error)) {
    status = httpStatusOf(error.code);
    message = error.message;
  } else if (isDatabaseUnavailable(error)) {
    status = 503;
    message = "The database is not reachable right now. Try again in a moment.";
  } else if (error instanceof Error && "code" in error && String(error.code).startsWith("FST_CSRF")) {
    status = 403;
    message = "This form has expired or did not come from the dashboard. Reload the page and try again.";
  } else if (error instanceof Error && "statusCode" in error && typeof error.statusCode === "number") {
    status = Math.min(error.statusCode, 500);
    if (status < 500) message = error.message;
  }
  if (status >= 500) request.log.error({ err: error }, "dashboard request failed");
  return reply
    .code(status)
    .type("text/html; charset=utf-8")
    .send(
      page(
        { title: status === 404 ? "Not found" : "That did not work" },
        html`${notice("error", message)}<p><a href="/dashboard">Back to the overview</a></p>`,
      ),
    );
}
