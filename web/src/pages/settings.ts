import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { html, type SafeHtml } from "../html.ts";
import { notice, page } from "../layout.ts";
import { type DashboardContext, sendPage, signedInFrame } from "../page-frame.ts";

/** Where the realm's public page is: under TALLY_PUBLIC_URL, like sign-in links, else the address this page came from. */
export function publicPageUrl(ctx: DashboardContext, request: FastifyRequest, realmId: string): string {
  const base = ctx.publicUrl ?? `${request.protocol}://${request.host}`;
  return `${base.replace(/\/+$/, "")}/r/${encodeURIComponent(realmId)}`;
}

/** Realm settings: for now whether the public leaderboard page `/r/{realmId}` is on. */
export function settingsPages(pages: FastifyInstance, ctx: DashboardContext): void {
  const show = async (request: FastifyRequest, reply: FastifyReply, message?: SafeHtml, status = 200) => {
    const realmId = request.dashboard.realmId;
    const [realm, frame] = await Promise.all([
      ctx.core.getRealm(realmId),
      signedInFrame(ctx, request, reply, { title: "Settings", current: "Settings" }),
    ]);
    const on = realm?.publicLeaderboard ?? false;
    const url = publicPageUrl(ctx, request, realmId);
    return sendPage(
      reply,
      page(
        frame,
        html`${message ?? ""}<h2>Public page</h2>
<p>When it is on, anyone with its address sees this realm's leaderboard by period and currency, without signing in:
display names and amounts only, never an email address, a wallet, a chat id or a user id. Members without a display
name appear as "A member". The page is refreshed every 30 seconds, and browsers may keep a copy that long, also
after it is switched off.</p>
${
  on
    ? html`<p>The public page is <strong>on</strong>: <a href="${url}" data-testid="public-url">${url}</a></p>`
    : html`<p>The public page is <strong>off</strong>: its address answers "not found", as for a realm that does not exist.</p>`
}
<form method="post" action="/dashboard/settings/public-page" class="stack">
<input type="hidden" name="_csrf" value="${frame.csrf}">
<input type="hidden" name="publicLeaderboard" value="${on ? "off" : "on"}">
<button type="submit"${on ? html` class="danger"` : ""}>${on ? "Switch the public page off" : "Switch the public page on"}</button>
</form>`,
      ),
      status,
    );
  };

  pages.get("/settings", (request, reply) => show(request, reply));

  pages.post<{ Body: { publicLeaderboard?: unknown } }>("/settings/public-page", async (request, reply) => {
    const wanted = request.body?.publicLeaderboard;
    if (wanted !== "on" && wanted !== "off") {
      return show(request, reply, notice("error", "publicLeaderboard: send on or off."), 400);
    }
    const realm = await ctx.core.updateRealmSettings(request.dashboard.realmId, { publicLeaderboard: wanted === "on" });
    return show(
      request,
      reply,
      notice("success", realm.publicLeaderboard ? "The public page is on." : "The public page is off."),
    );
  });
}
