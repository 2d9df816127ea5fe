import type { FastifyInstance } from "fastify";
import { timeText } from "../format.ts";
import { html, type SafeHtml } from "../html.ts";
import { notice, page } from "../layout.ts";
import { type DashboardContext, sendPage, signedInFrame } from "../page-frame.ts";

/** The realm's API keys: create (the key is shown once, on the answer to the form) and revoke. */
export function apiKeyPages(pages: FastifyInstance, ctx: DashboardContext): void {
  const show = async (
    request: Parameters<typeof signedInFrame>[1],
    reply: Parameters<typeof signedInFrame>[2],
    message?: SafeHtml,
    status = 200,
  ) => {
    const [keys, frame] = await Promise.all([
      ctx.core.listApiKeys(request.dashboard.realmId),
      signedInFrame(ctx, request, reply, { title: "API keys", current: "API keys" }),
    ]);
    return sendPage(
      reply,
      page(
        frame,
        html`${message ?? ""}<div class="table-wrap"><table><thead><tr><th scope="col">Name</th><th scope="col">Starts with</th><th scope="col">Created (${frame.timeZone})</th><th scope="col">State</th><th scope="col"><span class="muted">Action</span></th></tr></thead>
<tbody>${keys.map(
          (
            k,
          ) => html`<tr><td>${k.name}</td><td><code>${k.prefix}…</code></td><td>${timeText(k.createdAt, frame.timeZone)}</td>
<td>${k.revokedAt ? `revoked ${timeText(k.revokedAt, frame.timeZone)}` : "active"}</td>
<td>${
            k.revokedAt
              ? ""
              : html`<form method="post" action="/dashboard/keys/${k.id}/revoke" class="inline">
<input type="hidden" name="_csrf" value="${frame.csrf}"><button type="submit" class="danger" aria-label="Revoke key ${k.name}">Revoke</button></form>`
          }</td></tr>`,
        )}</tbody></table></div>
<h2>New key</h2>
<form method="post" action="/dashboard/keys" class="filters">
<input type="hidden" name="_csrf" value="${frame.csrf}">
<div><label for="k-name">Name</label><input id="k-name" name="name" required maxlength="100" placeholder="e.g. shop integration"></div>
<div><button type="submit">Create key</button></div>
</form>`,
      ),
      status,
    );
  };

  pages.get("/keys", (request, reply) => show(request, reply));

  pages.post<{ Body: { name?: unknown } }>("/keys", async (request, reply) => {
    const name = typeof request.body?.name === "string" ? request.body.name.trim() : "";
    if (!name || name.length > 100) return show(request, reply, notice("error", "name: 1 to 100 characters."), 400);
    const { key } = await ctx.core.createApiKey(request.dashboard.realmId, { name });
    return show(
      request,
      reply,
      html`${notice("success", `Key "${name}" created. Copy it now: it is shown only this once.`)}<code class="secret" data-testid="new-key">${key}</code>`,
      201,
    );
  });

  pages.post<{ Params: { id: string } }>("/keys/:id/revoke", async (request, reply) => {
    const revoked = await ctx.core.revokeApiKey(request.dashboard.realmId, request.params.id);
    return show(
      request,
      reply,
      revoked ? notice("success", "The key is revoked.") : notice("error", "This realm has no such active key."),
      revoked ? 200 : 404,
    );
  });
}
