import { isPeriod, isTallyError, type Period, periods } from "@tally/core";
import type { FastifyInstance, FastifyReply } from "fastify";
import { cachePublicBoard, PUBLIC_BOARD_TTL_MS } from "../cache-public-board.ts";
import { amountText, timeText } from "../format.ts";
import { html } from "../html.ts";
import { notice, page } from "../layout.ts";
import type { DashboardContext } from "../page-frame.ts";

const PERIOD_LABELS: Record<Period, string> = {
  day: "today (received)",
  week: "this week (received)",
  month: "this month (received)",
  all: "all time (balances)",
};

/** The one answer for a realm whose page is off and for a realm that does not exist, so ids cannot be probed. */
function notFound(reply: FastifyReply) {
  return reply
    .code(404)
    .header("cache-control", "no-store")
    .type("text/html; charset=utf-8")
    .send(page({ title: "Not found" }, notice("error", "There is no public leaderboard at this address.")));
}

/**
 * `/r/{realmId}`: a realm's leaderboard for anyone, without signing in, when the realm switched it on (settings).
 * Display names and amounts only (core's publicLeaderboard keeps nothing else); reads are cached for 30 s.
 */
export function publicLeaderboardPage(scope: FastifyInstance, ctx: DashboardContext): void {
  const boardOf = cachePublicBoard(ctx.core);
  scope.get<{ Params: { realmId: string }; Querystring: { period?: string; currency?: string } }>(
    "/:realmId",
    async (request, reply) => {
      const { realmId } = request.params;
      // Checked live, so switching the page off takes effect at once (the cached board is only the ranking).
      const realm = await ctx.core.getRealm(realmId);
      if (!realm?.publicLeaderboard) return notFound(reply);
      const periodText = request.query.period || "all";
      const currencyId = request.query.currency || undefined;
      const period = isPeriod(periodText) ? periodText : undefined;
      let board: Awaited<ReturnType<typeof boardOf>> | undefined;
      let problem: string | undefined;
      let status = 200;
      if (!period) {
        problem = `period: use one of ${periods.join(", ")}.`;
        status = 400;
      } else {
        try {
          board = await boardOf(realmId, period, currencyId, ctx.now());
        } catch (error) {
          if (!isTallyError(error) || error.code !== "NOT_FOUND") throw error;
          // The realm may have been switched off since the check above: answer as for any page that is not there.
          if (!(await ctx.core.getRealm(realmId))?.publicLeaderboard) return notFound(reply);
          problem = "currency: this page has no such currency.";
          status = 404;
        }
      }
      const zone = board?.realm.timeZone ?? realm.timezone ?? "UTC";
      const cur = board?.currency;
      const self = `/r/${encodeURIComponent(realmId)}`;
      reply.header("cache-control", status === 200 ? `public, max-age=${PUBLIC_BOARD_TTL_MS / 1000}` : "no-store");
      return reply
        .code(status)
        .type("text/html; charset=utf-8")
        .send(
          page(
            { title: "Leaderboard", realmName: realm.name },
            html`${problem ? notice("error", problem) : ""}
${
  board && cur
    ? html`<form method="get" action="${self}" class="filters" aria-label="Choose a currency and period">
<div><label for="currency">Currency</label><select id="currency" name="currency">${board.currencies.map(
        (c) => html`<option value="${c.id}"${c.id === cur.id ? html` selected` : ""}>${c.name}</option>`,
      )}</select></div>
<div><label for="period">Period</label><select id="period" name="period">${periods.map(
        (p) => html`<option value="${p}"${p === board?.period ? html` selected` : ""}>${PERIOD_LABELS[p]}</option>`,
      )}</select></div><div><button type="submit">Show</button></div></form>
${board.since ? html`<p class="muted">Received since ${timeText(board.since, zone)} (${zone}).</p>` : ""}
${
  board.rows.length === 0
    ? html`<p class="muted">${board.period === "all" ? `Nobody holds ${cur.name} yet.` : `Nobody has received ${cur.name} in this period yet.`}</p>`
    : html`<div class="table-wrap"><table><thead><tr><th scope="col" class="num">Rank</th><th scope="col">Member</th><th scope="col" class="num">${board.period === "all" ? "Balance" : "Received"}</th></tr></thead>
<tbody>${board.rows.map(
        (row) =>
          html`<tr><td class="num">${row.rank}</td><td>${row.label}</td><td class="num">${amountText(row.amount, cur)}</td></tr>`,
      )}</tbody></table></div>`
}`
    : html`<p><a href="${self}">Show the leaderboard</a></p>`
}
<p class="muted">Display names and amounts only · updated every ${PUBLIC_BOARD_TTL_MS / 1000} seconds.</p>`,
          ),
        );
    },
  );
}
