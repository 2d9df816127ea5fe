import type { LedgerRow } from "@tally/core";
import { amountText, type CurrencyLike, timeText } from "../format.ts";
import { html, type SafeHtml } from "../html.ts";

/** Who started an entry, as people know them: a chat mention's id or the API key. */
export function initiatorText(type: string, id: string): string {
  switch (type) {
    case "discord":
      return `Discord ${id}`;
    case "slack":
      return `Slack ${id}`;
    case "api_key":
      return `API key ${id.slice(0, 8)}`;
    default:
      return `${type} ${id}`;
  }
}

/** Ledger entries as a table; each not-yet-reversed give, take or transfer links to its reversal confirmation. */
export function entryTable(
  rows: readonly LedgerRow[],
  currencies: ReadonlyMap<string, CurrencyLike>,
  timeZone: string,
): SafeHtml {
  if (rows.length === 0) return html`<p class="muted">No entries.</p>`;
  return html`<div class="table-wrap"><table>
<thead><tr><th scope="col">#</th><th scope="col">When (${timeZone})</th><th scope="col">Holder</th><th scope="col" class="num">Change</th><th scope="col" class="num">Balance after</th><th scope="col">Kind</th><th scope="col">By</th><th scope="col">Reason</th><th scope="col"><span class="muted">Action</span></th></tr></thead>
<tbody>${rows.map((row) => {
    const cur = currencies.get(row.currencyId);
    const reversible = !row.reversedBy && row.kind !== "reversal" && row.kind !== "link";
    return html`<tr>
<td>${row.id}</td><td>${timeText(row.createdAt, timeZone)}</td>
<td><a href="/dashboard/members/${row.accountId}">${row.holder}</a></td>
<td class="num">${amountText(row.delta, cur, { sign: true })}</td><td class="num">${amountText(row.balanceAfter, cur)}</td>
<td>${row.kind}${row.reversesEntryId ? ` of #${row.reversesEntryId}` : ""}${row.reversedBy ? html` <span class="muted">(undone by #${row.reversedBy})</span>` : ""}</td>
<td>${initiatorText(row.initiatorType, row.initiatorId)} <span class="muted">via ${row.via}</span></td>
<td>${row.description ?? ""}</td>
<td>${reversible ? html`<a href="/dashboard/ledger/${row.id}/reverse" aria-label="Reverse entry ${row.id}">Reverse</a>` : ""}</td>
</tr>`;
  })}</tbody></table></div>`;
}
