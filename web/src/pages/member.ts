import type { MemberDetail } from "@tally/core";
import type { FastifyInstance } from "fastify";
import { amountText } from "../format.ts";
import { html } from "../html.ts";
import { notice, page } from "../layout.ts";
import { type DashboardContext, sendPage, signedInFrame } from "../page-frame.ts";
import { entryTable } from "./entry-table.ts";

/** One member: credentials on every platform, balances per currency, a balance-over-time chart and the history. */
export function memberPage(pages: FastifyInstance, ctx: DashboardContext): void {
  pages.get<{ Params: { accountId: string }; Querystring: { currency?: string; cursor?: string } }>(
    "/members/:accountId",
    async (request, reply) => {
      const realmId = request.dashboard.realmId;
      const [member, currencies] = await Promise.all([
        ctx.core.dashboard.describeMember(realmId, request.params.accountId),
        ctx.core.currencies(realmId),
      ]);
      if (!member) {
        const frame = await signedInFrame(ctx, request, reply, { title: "No such member" });
        return sendPage(reply, page(frame, notice("error", "This realm has no such member.")), 404);
      }
      const chosen =
        currencies.find((c) => c.id === request.query.currency) ??
        currencies.find((c) => member.balances.some((b) => b.currencyId === c.id)) ??
        currencies.find((c) => c.isDefault);
      const [points, history, frame] = await Promise.all([
        chosen ? ctx.core.dashboard.balanceOverTime(member.accountId, chosen.id) : [],
        ctx.core.dashboard.searchLedger(
          realmId,
          { accountId: member.accountId },
          { cursor: request.query.cursor, limit: 25 },
        ),
        signedInFrame(ctx, request, reply, { title: memberTitle(member), charts: true }),
      ]);
      const factor = 10 ** (chosen?.scale ?? 0);
      const series = {
        label: chosen?.name ?? "balance",
        tz: frame.timeZone,
        x: points.map((p) => p.at.getTime() / 1000),
        y: points.map((p) => Number(p.balance) / factor),
      };
      const byId = new Map(currencies.map((c) => [c.id, c]));
      return sendPage(
        reply,
        page(
          frame,
          html`<p class="muted">Account ${member.accountId}${member.userId ? ` · user id ${member.userId}` : ""} · ${member.kind === "member" ? "member" : "not linked (ghost)"}</p>
<div class="grid2">
<section aria-labelledby="creds"><h2 id="creds">Credentials</h2>
${member.credentials.length ? html`<ul>${member.credentials.map((c) => html`<li>${c.type}${c.source ? `:${c.source}` : ""}: <code>${c.value}</code> <a href="/dashboard/ledger?credential=${encodeURIComponent(`${c.type}:${c.source ? `${c.source}:` : ""}${c.value}`)}">entries</a></li>`)}</ul>` : html`<p class="muted">None.</p>`}</section>
<section aria-labelledby="balances"><h2 id="balances">Balances</h2>
${member.balances.length ? html`<ul>${member.balances.map((b) => html`<li><a href="/dashboard/members/${member.accountId}?currency=${b.currencyId}">${byId.get(b.currencyId)?.name ?? b.currencyId}</a>: <strong>${amountText(b.balance, byId.get(b.currencyId))}</strong></li>`)}</ul>` : html`<p class="muted">No balance yet.</p>`}</section>
</div>
<section aria-labelledby="over-time"><h2 id="over-time">Balance over time${chosen ? ` (${chosen.name})` : ""}</h2>
${points.length ? html`<div class="chart" data-chart="line" data-series="${JSON.stringify(series)}" role="img" aria-label="Line chart of the ${chosen?.name ?? ""} balance after each of the last ${points.length} entries"></div>` : html`<p class="muted">No entries in this currency.</p>`}</section>
<section aria-labelledby="history"><h2 id="history">History</h2>
${entryTable(history.items, byId, frame.timeZone)}
${history.nextCursor ? html`<p class="pager"><a rel="next" href="/dashboard/members/${member.accountId}?cursor=${history.nextCursor}">Older entries</a></p>` : ""}</section>`,
        ),
      );
    },
  );
}

/** How people know a member: a name, a user id, or the first credential (a ghost has only that). */
function memberTitle(member: MemberDetail): string {
  const credential = member.credentials[0];
  return member.name ?? member.userId ?? (credential ? `${credential.type}:${credential.value}` : member.accountId);
}
