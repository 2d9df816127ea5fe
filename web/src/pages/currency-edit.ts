import { httpStatusOf, isTallyError } from "@tally/core";
import type { Currency } from "@tally/db";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { html, type SafeHtml } from "../html.ts";
import { notice, page } from "../layout.ts";
import { type DashboardContext, sendPage, signedInFrame } from "../page-frame.ts";
import {
  type CurrencyFormBody,
  type CurrencyFormValues,
  currencyFormValues,
  formValuesOf,
  readCurrencyForm,
} from "./read-currency-form.ts";

type Params = { Params: { id: string } };
const PERIODS = [
  ["none", "No allowance"],
  ["day", "per day"],
  ["week", "per week (from Monday)"],
  ["month", "per month"],
] as const;

/**
 * One currency: edit its settings and allowance, make it the default, archive or unarchive it (after a confirmation).
 * Every read and write names the session's realm, so another realm's currency is simply not found (404).
 */
export function currencyEditPages(pages: FastifyInstance, ctx: DashboardContext): void {
  const show = async (
    request: FastifyRequest,
    reply: FastifyReply,
    currency: Currency,
    options: { values?: CurrencyFormValues; message?: SafeHtml; status?: number } = {},
  ) => {
    const frame = await signedInFrame(ctx, request, reply, {
      title: `Currency ${currency.name}`,
      current: "Currencies",
    });
    const v = options.values ?? currencyFormValues(currency);
    const base = `/dashboard/currencies/${encodeURIComponent(currency.id)}`;
    const checked = (on: boolean) => (on ? html` checked` : "");
    return sendPage(
      reply,
      page(
        frame,
        html`<p><a href="/dashboard/currencies">All currencies</a></p>
${options.message ?? ""}
${currency.archivedAt ? notice("info", "This currency is archived: it takes no new entries; its balances stay readable.") : ""}
<p>Id <code>${currency.id}</code>${currency.isDefault ? " · the realm's default currency" : ""}</p>
<form method="post" action="${base}" class="stack" aria-label="Edit currency">
<input type="hidden" name="_csrf" value="${frame.csrf}">
<div><label for="e-name">Name</label><input id="e-name" name="name" required maxlength="64" value="${v.name}"></div>
<div><label for="e-emoji">Emoji (optional)</label><input id="e-emoji" name="emoji" maxlength="64" value="${v.emoji}"></div>
<div><label for="e-scale">Decimal places (0-6)</label><input id="e-scale" name="scale" type="number" min="0" max="6" required value="${v.scale}" aria-describedby="e-scale-hint">
<p id="e-scale-hint" class="hint">Changes only while the currency has no entries: amounts already written would change value.</p></div>
<div><label><input type="checkbox" name="allowNegative" value="on"${checked(v.allowNegative)}> Allow balances below zero (overdraft)</label></div>
${
  currency.isDefault
    ? ""
    : html`<div><label><input type="checkbox" name="isDefault" value="on"${checked(v.isDefault)}> Make it the realm's default currency</label></div>`
}
<fieldset class="stack"><legend>Giving allowance (<code>/points thank</code> and reactions)</legend>
<div><label for="e-period">Allowance period</label><select id="e-period" name="allowancePeriod">${PERIODS.map(
          ([value, label]) =>
            html`<option value="${value}"${value === v.allowancePeriod ? html` selected` : ""}>${label}</option>`,
        )}</select></div>
<div><label for="e-amount">Allowance amount: what each member may give per period${currency.emoji ? ` (${currency.emoji})` : ""}</label><input id="e-amount" name="allowanceAmount" inputmode="decimal" value="${v.allowanceAmount}" aria-describedby="e-amount-hint">
<p id="e-amount-hint" class="hint">In whole ${currency.name}, with at most as many decimal places as the currency has.</p></div>
<div><label><input type="checkbox" name="managersExempt" value="on"${checked(v.managersExempt)}> Managers give without drawing on it</label></div>
</fieldset>
<div><button type="submit">Save changes</button> <a href="/dashboard/currencies">Cancel</a></div>
</form>
<h2>${currency.archivedAt ? "Unarchive" : "Archive"}</h2>
${
  currency.archivedAt
    ? html`<p>Unarchiving lets it take new entries again. <a href="${base}/unarchive">Unarchive ${currency.name}…</a></p>`
    : currency.isDefault
      ? html`<p class="muted">The default currency cannot be archived; make another one the default first.</p>`
      : html`<p>An archived currency takes no new entries; its balances stay readable. <a href="${base}/archive">Archive ${currency.name}…</a></p>`
}`,
      ),
      options.status ?? 200,
    );
  };

  const currencyOf = (request: FastifyRequest<Params>) =>
    ctx.core.getCurrency(request.dashboard.realmId, request.params.id);

  pages.get<Params>("/currencies/:id", async (request, reply) => show(request, reply, await currencyOf(request)));

  pages.post<Params & { Body: CurrencyFormBody }>("/currencies/:id", async (request, reply) => {
    const current = await currencyOf(request);
    const values = formValuesOf(request.body ?? {});
    try {
      const updated = await ctx.core.updateCurrency(request.dashboard.realmId, current.id, readCurrencyForm(values));
      return show(request, reply, updated, { message: notice("success", `Currency ${updated.name} saved.`) });
    } catch (error) {
      // Bad input and refused changes (the scale rule) show the form again as typed; nothing was changed.
      if (!isTallyError(error) || error.code === "NOT_FOUND") throw error;
      return show(request, reply, current, {
        values,
        message: notice("error", error.message),
        status: httpStatusOf(error.code),
      });
    }
  });

  for (const archived of [true, false]) {
    const verb = archived ? "archive" : "unarchive";
    pages.get<Params>(`/currencies/:id/${verb}`, async (request, reply) => {
      const currency = await currencyOf(request);
      const frame = await signedInFrame(ctx, request, reply, {
        title: `${archived ? "Archive" : "Unarchive"} ${currency.name}`,
        current: "Currencies",
      });
      const base = `/dashboard/currencies/${encodeURIComponent(currency.id)}`;
      return sendPage(
        reply,
        page(
          frame,
          html`<p>${
            archived
              ? "An archived currency takes no new entries (gives, thanks, transfers are refused); its balances and history stay readable, and you can unarchive it later."
              : "Unarchived, the currency takes new entries again."
          }</p>
<form method="post" action="${base}/${verb}" class="stack">
<input type="hidden" name="_csrf" value="${frame.csrf}">
<div><button type="submit"${archived ? html` class="danger"` : ""}>${archived ? "Archive" : "Unarchive"} ${currency.name}</button> <a href="${base}">Cancel</a></div>
</form>`,
        ),
      );
    });

    pages.post<Params>(`/currencies/:id/${verb}`, async (request, reply) => {
      const current = await currencyOf(request);
      try {
        const updated = await ctx.core.setCurrencyArchived(request.dashboard.realmId, current.id, archived);
        return show(request, reply, updated, {
          message: notice("success", `Currency ${updated.name} is ${archived ? "archived" : "no longer archived"}.`),
        });
      } catch (error) {
        if (!isTallyError(error) || error.code === "NOT_FOUND") throw error;
        return show(request, reply, current, {
          message: notice("error", error.message),
          status: httpStatusOf(error.code),
        });
      }
    });
  }
}
