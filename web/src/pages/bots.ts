import { httpStatusOf, isTallyError } from "@tally/core";
import type { BotBinding, Currency, ReactionRule } from "@tally/db";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { timeText } from "../format.ts";
import { html, type SafeHtml } from "../html.ts";
import { notice, page } from "../layout.ts";
import { type DashboardContext, sendPage, signedInFrame } from "../page-frame.ts";

type Frame = Awaited<ReturnType<typeof signedInFrame>>;
type Params = { platform: string; externalId: string };
type SettingsForm = { managers?: unknown; reactions?: unknown };
/** What the manager typed, shown again with the error when it was refused. */
type Typed = { key: string; managers: string; reactions: string; error: SafeHtml };

const keyOf = (b: Pick<BotBinding, "platform" | "externalId">) => `${b.platform}:${b.externalId}`;

/**
 * The Discord servers and Slack workspaces bound to this realm, with who counts as a manager there and which emoji
 * give points. Binding (and rebinding to another realm) stays an operator's CLI command: this page only edits.
 */
export function botPages(pages: FastifyInstance, ctx: DashboardContext): void {
  const show = async (
    request: FastifyRequest,
    reply: FastifyReply,
    message?: SafeHtml,
    status = 200,
    typed?: Typed,
  ) => {
    const realmId = request.dashboard.realmId;
    const [bindings, currencies, frame] = await Promise.all([
      ctx.core.listRealmBindings(realmId),
      ctx.core.currencies(realmId),
      signedInFrame(ctx, request, reply, { title: "Bots", current: "Bots" }),
    ]);
    return sendPage(
      reply,
      page(
        frame,
        html`${message ?? ""}<p>Managers may give and take points, give to a whole role or user group, undo entries and
open this dashboard with <code>/points dashboard</code>. On Discord, members with Manage Server or Administrator are
always managers; on Slack, workspace admins are.</p>
${
  bindings.length === 0
    ? notice(
        "info",
        html`No Discord server or Slack workspace is bound to this realm. An operator binds one on the server with
<code>pnpm tally bind discord --guild &lt;server id&gt; --realm ${realmId}</code> or
<code>pnpm tally bind slack --team &lt;team id&gt; --realm ${realmId}</code>.`,
      )
    : bindings.map((b) => bindingSection(b, currencies, frame, typed?.key === keyOf(b) ? typed : undefined))
}`,
      ),
      status,
    );
  };

  pages.get("/bots", (request, reply) => show(request, reply));

  pages.post<{ Params: Params; Body: SettingsForm }>("/bots/:platform/:externalId", async (request, reply) => {
    const realmId = request.dashboard.realmId;
    const { platform, externalId } = request.params;
    // Another realm's (or an unknown) guild answers exactly like a missing page, before anything is read from the form.
    const binding = (await ctx.core.listRealmBindings(realmId)).find(
      (b) => b.platform === platform && b.externalId === externalId,
    );
    if (!binding) return reply.callNotFound();
    const body = request.body ?? {};
    const managers = typeof body.managers === "string" ? body.managers : "";
    const reactionsText = typeof body.reactions === "string" ? body.reactions : "";
    const refuse = (text: string, status = 400) => {
      // Shown in the form it is about, above its fields.
      const error = notice("error", text);
      return show(request, reply, undefined, status, {
        key: keyOf(binding),
        managers,
        reactions: reactionsText,
        error,
      });
    };
    const ids = managers.split(/[\s,]+/).filter(Boolean);
    const parsed = parseReactions(reactionsText, await ctx.core.currencies(realmId));
    if ("error" in parsed) return refuse(parsed.error);
    try {
      await ctx.core.updateBindingSettings(realmId, {
        platform: binding.platform,
        externalId,
        ...(binding.platform === "discord" ? { managerRoleIds: ids } : { managerUserIds: ids }),
        reactions: parsed.rules,
      });
    } catch (error) {
      if (isTallyError(error) && error.code === "VALIDATION") {
        // Core numbers rules from 0 and names fields as the API does; the form numbers lines from 1 and has labels.
        const text = error.message
          .replace(
            /^reactions\[(\d+)\]\.?/,
            (_, i: string) => `reactions, line ${parsed.lines[Number(i)] ?? Number(i) + 1}: `,
          )
          .replace(/^managerRoleIds/, "Manager role ids")
          .replace(/^managerUserIds/, "Manager user ids");
        return refuse(text, httpStatusOf(error.code));
      }
      throw error;
    }
    return show(request, reply, notice("success", `Saved the settings of ${placeOf(binding)}.`));
  });
}

const placeOf = (b: Pick<BotBinding, "platform" | "externalId">) =>
  b.platform === "discord" ? `Discord server ${b.externalId}` : `Slack workspace ${b.externalId}`;

const ruleText = (rule: ReactionRule, currencies: Currency[]) => {
  const cur = rule.currencyId ? currencies.find((c) => c.id === rule.currencyId) : undefined;
  return `${rule.emoji}=${rule.amount}${rule.currencyId ? ` ${cur?.name ?? rule.currencyId}` : ""}`;
};

function bindingSection(b: BotBinding, currencies: Currency[], frame: Frame, typed: Typed | undefined): SafeHtml {
  const id = `${b.platform}-${b.externalId}`;
  const discord = b.platform === "discord";
  const managers = (discord ? b.settings.managerRoleIds : b.settings.managerUserIds) ?? [];
  const rules = b.settings.reactions ?? [];
  const fallback = currencies.find((c) => c.isDefault);
  return html`<section class="binding" aria-labelledby="${id}-title">
<h2 id="${id}-title">${placeOf(b)}</h2>
<p class="muted">Bound to this realm since ${timeText(b.createdAt, frame.timeZone)} (${frame.timeZone}).
${managers.length} ${discord ? "manager role" : "manager user"}${managers.length === 1 ? "" : "s"}, ${rules.length} reaction rule${rules.length === 1 ? "" : "s"}.</p>
${typed?.error ?? ""}
<form method="post" action="/dashboard/bots/${b.platform}/${b.externalId}" class="stack">
<input type="hidden" name="_csrf" value="${frame.csrf}">
<div><label for="${id}-managers">${discord ? "Manager role ids" : "Manager user ids"}</label>
<input id="${id}-managers" name="managers" aria-describedby="${id}-managers-hint" value="${typed ? typed.managers : managers.join(", ")}">
<p class="hint" id="${id}-managers-hint">${
    discord
      ? "Members with any of these roles are managers. Separate ids with commas or spaces (in Discord: Server Settings, Roles, right-click a role, Copy Role ID)."
      : "These members are managers. Separate ids (U…) with commas or spaces (in Slack: a member's profile, More, Copy member ID)."
  }</p></div>
<div><label for="${id}-reactions">Reaction rules</label>
<textarea id="${id}-reactions" name="reactions" rows="${Math.max(3, rules.length + 1)}" aria-describedby="${id}-reactions-hint">${
    typed ? typed.reactions : rules.map((r) => ruleText(r, currencies)).join("\n")
  }</textarea>
<p class="hint" id="${id}-reactions-hint">One per line: the emoji, <code>=</code>, the points a reaction gives, and optionally a
currency name (otherwise ${fallback?.name ?? "the default currency"}). For example <code>🌮=1</code> or <code>star=5 ${fallback?.name ?? "points"}</code>.
${discord ? "Custom Discord emoji go by their name or id." : "Slack emoji go by their name, with or without colons."}</p></div>
<div><button type="submit">Save ${discord ? "server" : "workspace"} settings</button></div>
</form>
</section>`;
}

/** Lines `emoji=amount [currency]`; the line numbers of the rules kept, to name them in core's errors. */
function parseReactions(
  text: string,
  currencies: Currency[],
): { rules: ReactionRule[]; lines: number[] } | { error: string } {
  const rules: ReactionRule[] = [];
  const lines: number[] = [];
  const all = text.split(/\r?\n/);
  for (const [i, raw] of all.entries()) {
    const line = raw.trim();
    if (!line) continue;
    const match = /^(.+?)\s*=\s*(\S+)(?:\s+(.+))?$/.exec(line);
    const where = `reactions, line ${i + 1}:`;
    if (!match) return { error: `${where} write emoji=amount, e.g. 🌮=1, not "${line}".` };
    const [, emoji = "", amountText = "", currencyText] = match;
    if (!/^\d+(\.\d+)?$/.test(amountText) || Number(amountText) <= 0) {
      return { error: `${where} the amount must be a positive number, not "${amountText}".` };
    }
    let currencyId: string | undefined;
    if (currencyText) {
      const wanted = currencyText.trim().toLowerCase();
      const cur = currencies.find((c) => c.id === currencyText.trim() || c.name.toLowerCase() === wanted);
      if (!cur) return { error: `${where} this realm has no currency "${currencyText.trim()}".` };
      currencyId = cur.id;
    }
    rules.push({ emoji, amount: Number(amountText), ...(currencyId ? { currencyId } : {}) });
    lines.push(i + 1);
  }
  return { rules, lines };
}
