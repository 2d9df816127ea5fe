import type { FastifyInstance } from "fastify";
import { html, type SafeHtml } from "../html.ts";
import { notice, page } from "../layout.ts";
import { type DashboardContext, sendPage, signedInFrame } from "../page-frame.ts";

type CurrencyForm = { name?: unknown; emoji?: unknown; scale?: unknown; allowNegative?: unknown; isDefault?: unknown };

/** The realm's currencies (each links to its edit page), and a form to create one (core's createCurrency validates it). */
export function currencyPages(pages: FastifyInstance, ctx: DashboardContext): void {
  const show = async (
    request: Parameters<typeof signedInFrame>[1],
    reply: Parameters<typeof signedInFrame>[2],
    message?: SafeHtml,
    status = 200,
  ) => {
    const realmId = request.dashboard.realmId;
    const [currencies, frame] = await Promise.all([
      ctx.core.currencies(realmId),
      signedInFrame(ctx, request, reply, { title: "Currencies", current: "Currencies" }),
    ]);
    return sendPage(
      reply,
      page(
        frame,
        html`${message ?? ""}<div class="table-wrap"><table><thead><tr><th scope="col">Name</th><th scope="col">Id</th><th scope="col">Emoji</th><th scope="col" class="num">Scale</th><th scope="col">Below zero</th><th scope="col">Default</th><th scope="col">State</th></tr></thead>
<tbody>${currencies.map((c) => html`<tr><td><a href="/dashboard/currencies/${encodeURIComponent(c.id)}" aria-label="Edit ${c.name}">${c.name}</a></td><td><code>${c.id}</code></td><td>${c.emoji ?? ""}</td><td class="num">${c.scale}</td><td>${c.allowNegative ? "allowed" : "no"}</td><td>${c.isDefault ? "yes" : ""}</td><td>${c.archivedAt ? "archived" : "active"}</td></tr>`)}</tbody></table></div>
<h2>New currency</h2>
<form method="post" action="/dashboard/currencies" class="filters">
<input type="hidden" name="_csrf" value="${frame.csrf}">
<div><label for="c-name">Name</label><input id="c-name" name="name" required maxlength="64"></div>
<div><label for="c-emoji">Emoji (optional)</label><input id="c-emoji" name="emoji" maxlength="32"></div>
<div><label for="c-scale">Decimal places (0-6)</label><input id="c-scale" name="scale" type="number" min="0" max="6" value="0"></div>
<div><label><input type="checkbox" name="allowNegative" value="on"> Allow balances below zero</label></div>
<div><label><input type="checkbox" name="isDefault" value="on"> Make it the default</label></div>
<div><button type="submit">Create</button></div>
</form>`,
      ),
      status,
    );
  };

  pages.get("/currencies", (request, reply) => show(request, reply));

  pages.post<{ Body: CurrencyForm }>("/currencies", async (request, reply) => {
    const body = request.body ?? {};
    const name = typeof body.name === "string" ? body.name : "";
    const scaleText = typeof body.scale === "string" && body.scale.trim() ? body.scale.trim() : "0";
    if (!/^[0-6]$/.test(scaleText)) {
      return show(request, reply, notice("error", "scale: a whole number from 0 to 6."), 400);
    }
    const emoji = typeof body.emoji === "string" && body.emoji.trim() ? body.emoji.trim() : null;
    const created = await ctx.core.createCurrency(request.dashboard.realmId, {
      name,
      emoji,
      scale: Number(scaleText),
      allowNegative: body.allowNegative === "on",
      isDefault: body.isDefault === "on",
    });
    return show(request, reply, notice("success", `Currency ${created.name} created (id ${created.id}).`), 201);
  });
}
