import type { DashboardIdentity } from "@tally/core";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { html } from "../html.ts";
import { notice, page } from "../layout.ts";
import { csrfToken, type DashboardContext, overHttps, SESSION_COOKIE, sendPage } from "../page-frame.ts";

const TOKEN = /^[\w-]{20,100}$/;

/** Key sign-in, the chat link's landing page, and sign-out. */
export function signInPages(scope: FastifyInstance, ctx: DashboardContext): void {
  const openSession = async (request: FastifyRequest, reply: FastifyReply, who: DashboardIdentity) => {
    const id = await ctx.core.dashboard.openSession(who, ctx.now());
    reply.setCookie(SESSION_COOKIE, id, {
      path: "/dashboard",
      httpOnly: true,
      sameSite: "lax",
      secure: overHttps(request),
    });
    return reply.redirect("/dashboard", 303);
  };

  scope.get("/login", async (request, reply) => sendPage(reply, loginPage(csrfToken(request, reply))));

  scope.post<{ Body: { key?: unknown } }>("/login", { preHandler: scope.csrfProtection }, async (request, reply) => {
    const key = typeof request.body?.key === "string" ? request.body.key.trim() : "";
    const apiKey = key ? await ctx.core.authenticateApiKey(key) : undefined;
    if (!apiKey) {
      const message = key ? "That API key is unknown or revoked." : "key: enter a realm API key (tly_…).";
      return sendPage(reply, loginPage(csrfToken(request, reply), message), key ? 401 : 400);
    }
    return openSession(request, reply, { realmId: apiKey.realmId, method: "api_key", subjectId: apiKey.id });
  });

  // Opening the link only shows a button: chat clients and link scanners fetch URLs, and must not use the link up.
  scope.get<{ Params: { token: string } }>("/sign-in/:token", async (request, reply) => {
    const token = request.params.token;
    if (!TOKEN.test(token)) return sendPage(reply, expiredPage(), 400);
    return sendPage(
      reply,
      page(
        { title: "Sign in to the dashboard" },
        html`<p>This link was sent to you privately by <code>/points dashboard</code>. It works once, within 10 minutes of being sent.</p>
<form method="post" action="/dashboard/sign-in/${token}">
<input type="hidden" name="_csrf" value="${csrfToken(request, reply)}">
<button type="submit">Open the dashboard</button>
</form>`,
      ),
    );
  });

  scope.post<{ Params: { token: string } }>(
    "/sign-in/:token",
    { preHandler: scope.csrfProtection },
    async (request, reply) => {
      const token = request.params.token;
      const who = TOKEN.test(token) ? await ctx.core.dashboard.redeemSignInLink(token, ctx.now()) : undefined;
      if (!who) return sendPage(reply, expiredPage(), 410);
      return openSession(request, reply, who);
    },
  );

  scope.post("/logout", { preHandler: scope.csrfProtection }, async (request, reply) => {
    const id = request.cookies[SESSION_COOKIE];
    if (id) await ctx.core.dashboard.endSession(id);
    reply.clearCookie(SESSION_COOKIE, { path: "/dashboard" });
    return reply.redirect("/dashboard/login", 303);
  });
}

function loginPage(csrf: string, error?: string): string {
  return page(
    { title: "Sign in" },
    html`${error ? notice("error", error) : ""}
<p>Managers: type <code>/points dashboard</code> in Discord or Slack and open the private link it sends you.</p>
<p>Operators: sign in with one of the realm's API keys.</p>
<form method="post" action="/dashboard/login" class="stack">
<input type="hidden" name="_csrf" value="${csrf}">
<div><label for="key">Realm API key</label>
<input id="key" name="key" type="password" autocomplete="off" required placeholder="tly_…"></div>
<button type="submit">Sign in</button>
</form>`,
  );
}

function expiredPage(): string {
  return page(
    { title: "This link does not work" },
    html`${notice("error", "This sign-in link has expired or was used already.")}
<p>Type <code>/points dashboard</code> again for a new one, or <a href="/dashboard/login">sign in with an API key</a>.</p>`,
  );
}
