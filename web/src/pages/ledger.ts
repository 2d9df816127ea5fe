import { Readable } from "node:stream";
import { exportTransactions, type WriteContext } from "@tally/core";
import { entryKinds, vias } from "@tally/db";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { amountText, timeText } from "../format.ts";
import { html } from "../html.ts";
import { notice, page } from "../layout.ts";
import { type DashboardContext, sendPage, signedInFrame } from "../page-frame.ts";
import { entryTable, initiatorText } from "./entry-table.ts";
import { type LedgerQuery, queryString, readLedgerFilter } from "./read-ledger-filter.ts";

/** Who a dashboard write is recorded as: the manager who signed in through chat, or the API key used. */
export function dashboardContext(request: FastifyRequest): WriteContext {
  const who = request.dashboard;
  return {
    realmId: who.realmId,
    initiator: { type: who.method, id: who.subjectId },
    via: "dashboard",
  };
}

/** The ledger explorer: filters, cursor pages, export of the filtered view, and reversal with a confirmation. */
export function ledgerPages(pages: FastifyInstance, ctx: DashboardContext): void {
  pages.get<{ Querystring: LedgerQuery }>("/ledger", async (request, reply) => {
    const realmId = request.dashboard.realmId;
    const q = request.query;
    const currencies = await ctx.core.currencies(realmId);
    const frame = await signedInFrame(ctx, request, reply, { title: "Ledger", current: "Ledger" });
    let table = html``;
    let status = 200;
    try {
      const filter = await readLedgerFilter(ctx.core, realmId, q, frame.timeZone);
      const found = await ctx.core.dashboard.searchLedger(realmId, filter, { cursor: q.cursor, limit: 50 });
      const byId = new Map(currencies.map((c) => [c.id, c]));
      table = html`${entryTable(found.items, byId, frame.timeZone)}
<div class="pager">${q.cursor ? html`<a href="/dashboard/ledger?${queryString(q)}">Newest</a>` : ""}
${found.nextCursor ? html`<a href="/dashboard/ledger?${queryString(q, { cursor: found.nextCursor })}" rel="next">Older entries</a>` : ""}</div>
<p>Export this view: <a href="/dashboard/ledger/export?${queryString(q, { format: "csv" })}">CSV</a> ·
<a href="/dashboard/ledger/export?${queryString(q, { format: "jsonl" })}">JSON Lines</a></p>`;
    } catch (error) {
      if (!(error instanceof Error && "code" in error && error.code === "VALIDATION")) throw error;
      status = 400;
      table = notice("error", error.message);
    }
    const option = (value: string, current: string | undefined, label = value) =>
      html`<option value="${value}"${value === (current ?? "") ? html` selected` : ""}>${label}</option>`;
    const field = (name: keyof LedgerQuery, label: string, hint: string, type = "text") =>
      html`<div><label for="f-${name}">${label}</label><input id="f-${name}" name="${name}" type="${type}" value="${q[name] ?? ""}" placeholder="${hint}"></div>`;
    return sendPage(
      reply,
      page(
        frame,
        html`<form method="get" action="/dashboard/ledger" class="filters" aria-label="Filter the ledger">
${field("member", "Member", "account or user id")}
${field("credential", "Credential", "discord:1234… or email:a@b.c")}
<div><label for="f-kind">Kind</label><select id="f-kind" name="kind">${option("", q.kind, "any")}${entryKinds.map((k) => option(k, q.kind))}</select></div>
<div><label for="f-door">Door</label><select id="f-door" name="door">${option("", q.door, "any")}${vias.map((v) => option(v, q.door))}</select></div>
${field("initiator", "Initiator", "Discord/Slack user or key id")}
<div><label for="f-currency">Currency</label><select id="f-currency" name="currency">${option("", q.currency, "any")}${currencies.map((c) => option(c.id, q.currency, c.name))}</select></div>
${field("from", `From (day, ${frame.timeZone})`, "2026-01-01", "date")}
${field("to", `To (day, ${frame.timeZone}, included)`, "2026-01-31", "date")}
<div><button type="submit">Filter</button> <a href="/dashboard/ledger">Clear</a></div>
</form>
${table}`,
      ),
      status,
    );
  });

  pages.get<{ Querystring: LedgerQuery & { format?: string } }>("/ledger/export", async (request, reply) => {
    const realmId = request.dashboard.realmId;
    const format = request.query.format === "jsonl" ? "jsonl" : "csv";
    const realm = await ctx.core.getRealm(realmId);
    const filter = await readLedgerFilter(ctx.core, realmId, request.query, realm?.timezone ?? "UTC");
    const stream = exportTransactions(ctx.core.db, realmId, format, filter);
    return reply
      .type(format === "csv" ? "text/csv; charset=utf-8" : "application/jsonl; charset=utf-8")
      .header("content-disposition", `attachment; filename="${realmId}-ledger.${format}"`)
      .send(Readable.from(stream));
  });

  pages.get<{ Params: { id: string } }>("/ledger/:id/reverse", async (request, reply) => {
    const realmId = request.dashboard.realmId;
    const id = entryIdOf(request.params.id);
    const [found, currencies, frame] = await Promise.all([
      id ? ctx.core.dashboard.searchLedger(realmId, {}, { cursor: (BigInt(id) + 1n).toString(), limit: 1 }) : undefined,
      ctx.core.currencies(realmId),
      signedInFrame(ctx, request, reply, { title: "Reverse an entry", current: "Ledger" }),
    ]);
    const entry = found && found.items[0]?.id === id ? found.items[0] : undefined;
    if (!entry)
      return sendPage(reply, page(frame, notice("error", `This realm has no entry #${request.params.id}.`)), 404);
    const cur = currencies.find((c) => c.id === entry.currencyId);
    return sendPage(
      reply,
      page(
        frame,
        html`<p>Entry #${entry.id}: ${amountText(entry.delta, cur, { sign: true })} for
<a href="/dashboard/members/${entry.accountId}">${entry.holder}</a> (${entry.kind}, by ${initiatorText(entry.initiatorType, entry.initiatorId)}, ${timeText(entry.createdAt, frame.timeZone)} ${frame.timeZone})${entry.description ? `: "${entry.description}"` : ""}.</p>
${
  entry.reversedBy
    ? notice(
        "info",
        html`Already undone by <a href="/dashboard/ledger?member=${entry.accountId}">#${entry.reversedBy}</a>.`,
      )
    : html`<p>Reversing appends a new entry that undoes it${entry.kind === "transfer" ? " (both sides of the transfer)" : ""}; the original stays in the ledger.</p>
<form method="post" action="/dashboard/ledger/${entry.id}/reverse" class="stack">
<input type="hidden" name="_csrf" value="${frame.csrf}">
<div><label for="why">Reason (optional)</label><input id="why" name="description" maxlength="200"></div>
<button type="submit" class="danger">Reverse entry #${entry.id}</button> <a href="/dashboard/ledger">Cancel</a>
</form>`
}`,
      ),
    );
  });

  pages.post<{ Params: { id: string }; Body: { description?: unknown } }>(
    "/ledger/:id/reverse",
    async (request, reply) => {
      const id = entryIdOf(request.params.id);
      if (!id) return reply.callNotFound();
      const description =
        typeof request.body?.description === "string" && request.body.description.trim()
          ? request.body.description.trim().slice(0, 200)
          : null;
      const reversal = await ctx.core.reverse(dashboardContext(request), id, { description });
      const frame = await signedInFrame(ctx, request, reply, { title: "Entry reversed", current: "Ledger" });
      return sendPage(
        reply,
        page(
          frame,
          html`${notice("success", `Entry #${id} is undone by #${reversal.entry.id}. New balance: ${amountText(reversal.balance, reversal.currency)}.`)}
<p><a href="/dashboard/members/${reversal.entry.accountId}">See the member</a> · <a href="/dashboard/ledger">Back to the ledger</a></p>`,
        ),
      );
    },
  );
}

const entryIdOf = (text: string): string | undefined => (/^\d{1,18}$/.test(text) ? BigInt(text).toString() : undefined);
