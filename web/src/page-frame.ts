import type { BalanceService } from "@tally/core";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { PageFrame } from "./layout.ts";

export interface DashboardContext {
  core: BalanceService;
  now: () => Date;
  /** Whether webhook URLs may point at loopback or private addresses (the API's TALLY_WEBHOOK_ALLOW_PRIVATE). */
  webhookAllowPrivate: boolean;
  /** TALLY_PUBLIC_URL, the base of the public page's address shown in settings. */
  publicUrl?: string | undefined;
}

export const SESSION_COOKIE = "tally_session";

/** Cookies are `Secure` when the browser reached us over https (directly, or through a trusted proxy). */
export const overHttps = (request: FastifyRequest): boolean => request.protocol === "https";

/** A fresh CSRF token for this page's forms (its secret cookie is set on the first one). */
export const csrfToken = (request: FastifyRequest, reply: FastifyReply): string =>
  reply.generateCsrf({ secure: overHttps(request), path: "/dashboard", sameSite: "lax", httpOnly: true });

/** The frame of a signed-in page: the realm's name and a CSRF token for the sign-out form. */
export async function signedInFrame(
  ctx: DashboardContext,
  request: FastifyRequest,
  reply: FastifyReply,
  frame: Omit<PageFrame, "csrf" | "realmName">,
): Promise<PageFrame & { csrf: string; timeZone: string }> {
  const realm = await ctx.core.getRealm(request.dashboard.realmId);
  return {
    ...frame,
    realmName: realm?.name ?? request.dashboard.realmId,
    csrf: csrfToken(request, reply),
    timeZone: realm?.timezone ?? "UTC",
  };
}

export function sendPage(reply: FastifyReply, body: string, status = 200) {
  return reply.code(status).type("text/html; charset=utf-8").send(body);
}
