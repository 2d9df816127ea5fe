import { isPeriod, periods, TallyError } from "@tally/core";
import type { FastifyInstance } from "fastify";
import { amountText } from "../format.ts";
import { html } from "../html.ts";
import { page } from "../layout.ts";
import { type DashboardContext, sendPage, signedInFrame } from "../page-frame.ts";

/** The top holders of a currency, in cursor pages. */
export function leaderboardPage(pages: FastifyInstance, ctx: DashboardContext): void {
  pages.get<{ Querystring: { currency?: string; after?: string; period?: string } }>(
    "/leaderboard",
    async (request, reply) => {
      const realmId = request.dashboard.realmId;
      const { currency, after } = request.query;
      const periodText = request.query.period || "all";
      if (!isPeriod(periodText)) throw new TallyError("VALIDATION", `period: use one of ${periods.join(", ")}.`);
      const period = periodText;
      const [currencies, board, frame] = await Promise.all([
        ctx.core.currencies(realmId),
        ctx.core.leaderboard(realmId, {
          currencyId: currency || undefined,
          take: 25,
          after: after || undefined,
          period,
        }),
        signedInFrame(ctx, request, reply, { title: "Leaderboard", current: "Leaderboard" }),
      ]);
      const cur = board.currency;
      return sendPage(
        reply,
        page(
          frame,
          html`<form method="get" action="/dashboard/leaderboard" class="filters" aria-label="Choose a currency">
<div><label for="currency">Currency</label><select id="currency" name="currency">${currencies.map(
            (c) => html`<option value="${c.id}"${c.id === cur.id ? html` selected` : ""}>${c.name}</option>`,
          )}</select></div>
<div><label for="period">Period</label><select id="period" name="period">${periods.map(
            (p) =>
              html`<option value="${p}"${p === period ? html` selected` : ""}>${p === "all" ? "all time (balances)" : `this ${p} (received)`}</option>`,
          )}</select></div><div><button type="submit">Show</button></div></form>
${
  board.items.length === 0
    ? html`<p class="muted">Nobody holds ${cur.name} yet.</p>`
    : html`<div class="table-wrap"><table><thead><tr><th scope="col" class="num">Rank</th><th scope="col">Member</th><th scope="col">Credentials</th><th scope="col" class="num">Balance</th></tr></thead>
<tbody>${board.items.map(
        (row) => html`<tr><td class="num">${row.rank}</td>
<td><a href="/dashboard/members/${row.accountId}">${row.name ?? row.userId ?? row.accountId}</a>${row.linked ? "" : html` <span class="muted">(not linked)</span>`}</td>
<td>${row.credentials.map((c) => `${c.type}:${c.source ? `${c.source}:` : ""}${c.value}`).join(", ")}</td>
<td class="num">${amountText(row.balance, cur)}</td></tr>`,
      )}</tbody></table></div>`
}
${board.nextCursor ? html`<p class="pager"><a rel="next" href="/dashboard/leaderboard?currency=${cur.id}&amp;period=${period}&amp;after=${board.nextCursor}">Next</a></p>` : ""}`,
        ),
      );
    },
  );
}
