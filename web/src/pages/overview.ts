import type { FastifyInstance } from "fastify";
import { cacheSummary, SUMMARY_TTL_MS } from "../cache-summary.ts";
import { amountText, timeText } from "../format.ts";
import { html } from "../html.ts";
import { page } from "../layout.ts";
import { type DashboardContext, sendPage, signedInFrame } from "../page-frame.ts";
import { entryTable, initiatorText } from "./entry-table.ts";

/** `/dashboard`: what was issued, how busy the ledger is, who gave and received most this week, the latest entries. */
export function overviewPage(pages: FastifyInstance, ctx: DashboardContext): void {
  const summarize = cacheSummary(ctx.core);
  pages.get("/", async (request, reply) => {
    const realmId = request.dashboard.realmId;
    const currencies = await ctx.core.currencies(realmId);
    const main = currencies.find((c) => c.isDefault) ?? currencies[0];
    const byId = new Map(currencies.map((c) => [c.id, c]));
    const frame = await signedInFrame(ctx, request, reply, { title: "Overview", current: "Overview", charts: true });
    const [summary, recent] = await Promise.all([
      summarize(realmId, main?.id ?? "", frame.timeZone, ctx.now()),
      ctx.core.dashboard.searchLedger(realmId, {}, { limit: 10 }),
    ]);
    const series = {
      label: "Entries",
      x: summary.perDay.map((d) => Date.parse(`${d.day}T00:00:00Z`) / 1000),
      y: summary.perDay.map((d) => d.entries),
    };
    const total = summary.perDay.reduce((sum, d) => sum + d.entries, 0);
    return sendPage(
      reply,
      page(
        frame,
        html`<section aria-labelledby="issued"><h2 id="issued">Balances issued</h2>
<div class="cards">${currencies.map((c) => {
          const issued = summary.issued.find((i) => i.currencyId === c.id);
          return html`<div class="card"><p class="big">${amountText(issued?.total ?? 0n, c)}</p>
<p>${c.name}${c.isDefault ? " (default)" : ""} · ${issued?.holders ?? 0} ${issued?.holders === 1 ? "holder" : "holders"}</p></div>`;
        })}</div></section>
<section aria-labelledby="per-day"><h2 id="per-day">Entries per day (last 30 days, ${frame.timeZone})</h2>
<div class="chart" data-chart="bars" data-series="${JSON.stringify(series)}" role="img"
  aria-label="Bar chart of ledger entries per day over the last 30 days: ${total} entries in all"></div></section>
<div class="grid2">
<section aria-labelledby="givers"><h2 id="givers">Top givers, last 7 days</h2>
${
  summary.topGivers.length
    ? html`<ol>${summary.topGivers.map((g) => html`<li>${initiatorText(g.initiatorType, g.initiatorId)}: ${amountText(g.total, main)}</li>`)}</ol>`
    : html`<p class="muted">Nobody gave ${main?.name ?? "points"} this week.</p>`
}</section>
<section aria-labelledby="receivers"><h2 id="receivers">Top receivers, last 7 days</h2>
${
  summary.topReceivers.length
    ? html`<ol>${summary.topReceivers.map(
        (r) => html`<li><a href="/dashboard/members/${r.accountId}">${r.label}</a>: ${amountText(r.total, main)}</li>`,
      )}</ol>`
    : html`<p class="muted">Nobody received ${main?.name ?? "points"} this week.</p>`
}</section>
</div>
<section aria-labelledby="recent"><h2 id="recent">Recent activity</h2>
${entryTable(recent.items, byId, frame.timeZone)}
<p><a href="/dashboard/ledger">The whole ledger</a> · times in ${frame.timeZone}, as of ${timeText(ctx.now(), frame.timeZone)};
the chart and rankings refresh every ${SUMMARY_TTL_MS / 1000} seconds</p></section>`,
      ),
    );
  });
}
