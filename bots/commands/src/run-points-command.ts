import {
  type BalanceService,
  formatAmount,
  isDatabaseUnavailable,
  isTallyError,
  type LeaderboardRow,
  type Subject,
} from "@tally/core";
import { checkTransfer, refuse, refuseNonManager } from "./check-transfer.ts";
import type { Invocation, PointsCommand, Reply, Target } from "./contract.ts";
import { dashboardLink } from "./dashboard-link.ts";
import { describeError, type ErrorSituation, unavailableReply } from "./describe-error.ts";
import { quantity, typedQuantity, unitName } from "./format-quantity.ts";
import { giveToGroup } from "./give-to-group.ts";
import { helpText } from "./help-text.ts";
import { context, invokerLabel, invokerSubject, replayNote, shownReason } from "./invocation-context.ts";
import { limitCommands } from "./limit-commands.ts";
import { linkIdentity, whoami } from "./link-identity.ts";
import { neutralizeMentions } from "./neutralize-mentions.ts";
import { sameAccount, targetLabel, targetSubject } from "./resolve-target.ts";
import { allowance, thank } from "./run-thank.ts";

const LEADERBOARD_SIZE = 10;
const HISTORY_SIZE = 10;

type Currency = Awaited<ReturnType<BalanceService["currency"]>>;
type LedgerEntry = Awaited<ReturnType<BalanceService["history"]>>["items"][number];

/**
 * Runs one /points command for any chat platform: checks who may do it, calls core, and says what happened.
 * Expected failures (refusals, bad input, core's TallyErrors) come back as ephemeral replies that explain the fix;
 * anything else is a bug and is thrown for the platform to report. Each outcome is reported to core's observers.
 */
export async function runPointsCommand(core: BalanceService, inv: Invocation): Promise<Reply> {
  try {
    const reply = await answer(core, inv);
    core.report({ type: "command", platform: inv.platform, outcome: reply.kind === "error" ? "refused" : "ok" });
    return reply;
  } catch (error) {
    core.report({ type: "command", platform: inv.platform, outcome: "failed" });
    throw error;
  }
}

async function answer(core: BalanceService, inv: Invocation): Promise<Reply> {
  const situation: ErrorSituation = { command: inv.command.name, platform: inv.platform };
  try {
    const limited = await limitCommands(core, inv);
    if (limited) return limited;
    const command = inv.command;
    switch (command.name) {
      case "give":
      case "take":
      case "tip":
        if (command.target.kind === "group")
          return await giveToGroup(core, inv, { ...command, target: command.target });
        return command.name === "tip"
          ? await tip(core, inv, command, situation)
          : await giveOrTake(core, inv, command, situation);
      case "balance":
        return await balance(core, inv, command.target, command.currencyId);
      case "leaderboard":
        return await leaderboard(core, inv, command.currencyId, command.period);
      case "history":
        return await history(core, inv, command.target, command.currencyId);
      case "undo":
        return await undo(core, inv, command.entryId);
      case "thank":
        return await thank(core, inv, command, situation);
      case "allowance":
        return await allowance(core, inv, command.currencyId);
      case "link":
        return await linkIdentity(core, inv, command.code);
      case "whoami":
        return await whoami(core, inv);
      case "dashboard":
        return await dashboardLink(core, inv);
      case "help":
        return {
          visibility: "ephemeral",
          kind: "info",
          title: "Tally /points",
          lines: helpText(inv.platform).split("\n"),
        };
    }
  } catch (error) {
    if (isTallyError(error)) return describeError(error, situation);
    if (isDatabaseUnavailable(error)) return unavailableReply;
    throw error;
  }
}

async function giveOrTake(
  core: BalanceService,
  inv: Invocation,
  command: Extract<PointsCommand, { name: "give" | "take" }>,
  situation: ErrorSituation,
): Promise<Reply> {
  const refusal = checkTransfer(inv, command);
  if (refusal) return refusal;
  const target = targetLabel(inv.platform, command.target);
  situation.subjectLabel = target;
  const subject = targetSubject(command.target);
  const cur = await core.currency(inv.realmId, command.currencyId);
  situation.currency = cur;
  if (command.name === "give" && (await sameAccount(core, inv.realmId, invokerSubject(inv), subject))) {
    return refuse("You cannot give points to yourself", "Give them to someone else, or ask another manager.");
  }
  const change = await core.adjust(context(inv), {
    subject,
    amount: command.name === "give" ? command.amount : -command.amount,
    currencyId: cur.id,
    description: command.reason ?? null,
  });
  const giver = invokerLabel(inv);
  const amount = typedQuantity(command.amount, cur);
  const reason = shownReason(inv, command.reason);
  const newBalance = quantity(change.balance, cur);
  const sentence =
    command.name === "give" ? `${giver} gave ${amount} to ${target}` : `${giver} took ${amount} from ${target}`;
  return {
    visibility: "public",
    kind: "success",
    title: command.name === "give" ? "Points given" : "Points taken",
    lines: [
      `${sentence}${reason ? ` for "${reason}"` : ""}.`,
      `New balance of ${target}: **${newBalance}**.`,
      ...replayNote(change.replayed),
    ],
    fields: [
      { name: command.name === "give" ? "Giver" : "Taken by", value: giver },
      { name: command.name === "give" ? "Recipient" : "From", value: target },
      { name: "Amount", value: amount },
      ...(reason ? [{ name: "Reason", value: reason }] : []),
      { name: "New balance", value: newBalance },
    ],
  };
}

async function tip(
  core: BalanceService,
  inv: Invocation,
  command: Extract<PointsCommand, { name: "tip" }>,
  situation: ErrorSituation,
): Promise<Reply> {
  const refusal = checkTransfer(inv, command);
  if (refusal) return refusal;
  const target = targetLabel(inv.platform, command.target);
  const to = targetSubject(command.target);
  const from = invokerSubject(inv);
  const cur = await core.currency(inv.realmId, command.currencyId);
  Object.assign(situation, { subjectLabel: "You", currency: cur });
  if (await sameAccount(core, inv.realmId, from, to)) {
    return refuse("You cannot tip yourself", "Tip someone else: `/points tip @member 5`.");
  }
  const result = await core.transfer(context(inv), {
    from,
    to,
    amount: command.amount,
    currencyId: cur.id,
    description: command.reason ?? null,
  });
  const tipper = invokerLabel(inv);
  const amount = typedQuantity(command.amount, cur);
  const reason = shownReason(inv, command.reason);
  return {
    visibility: "public",
    kind: "success",
    title: "Tip sent",
    lines: [
      `${tipper} tipped ${target} ${amount}${reason ? ` for "${reason}"` : ""}.`,
      `New balance of ${target}: **${quantity(result.to.balance, cur)}**; ${tipper} now has **${quantity(result.from.balance, cur)}**.`,
      ...replayNote(result.replayed),
    ],
    fields: [
      { name: "From", value: tipper },
      { name: "To", value: target },
      { name: "Amount", value: amount },
      ...(reason ? [{ name: "Reason", value: reason }] : []),
      { name: "New balance", value: quantity(result.to.balance, cur) },
      { name: "Tipper's balance", value: quantity(result.from.balance, cur) },
    ],
  };
}

async function balance(
  core: BalanceService,
  inv: Invocation,
  target: Target | undefined,
  currencyId: string | undefined,
): Promise<Reply> {
  const { subject, who } = readTarget(inv, target);
  const cur = await core.currency(inv.realmId, currencyId);
  let minor = 0n;
  try {
    minor = (await core.balanceOf(inv.realmId, subject, cur.id)).balance;
  } catch (error) {
    if (!neverCredited(error, subject)) throw error;
  }
  const amount = quantity(minor, cur);
  return {
    visibility: "public",
    kind: "info",
    title: "Balance",
    lines: [`${who} has **${amount}**.`],
    fields: [{ name: "Balance", value: amount }],
  };
}

const PERIOD_NAME = { day: "today", week: "this week", month: "this month" } as const;

async function leaderboard(
  core: BalanceService,
  inv: Invocation,
  currencyId: string | undefined,
  period: "day" | "week" | "month" | "all" = "all",
): Promise<Reply> {
  const board = await core.leaderboard(inv.realmId, { currencyId, take: LEADERBOARD_SIZE, period });
  const cur = board.currency;
  const when = period === "all" ? "" : ` — ${PERIOD_NAME[period]}`;
  return {
    visibility: "public",
    kind: "info",
    title: `Leaderboard — ${cur.emoji ? `${cur.emoji} ` : ""}${cur.name}${when}`,
    lines:
      board.items.length === 0
        ? [
            period === "all"
              ? "Nobody holds any yet. Managers can start with `/points give`."
              : `Nobody has received any ${PERIOD_NAME[period]} yet.`,
          ]
        : board.items.map((row) =>
            row.received === undefined
              ? `${row.rank}. ${holderLabel(inv.platform, row)} — **${quantity(row.balance, cur)}**`
              : `${row.rank}. ${holderLabel(inv.platform, row)} — **${quantity(row.received, cur)}** received`,
          ),
  };
}

async function history(
  core: BalanceService,
  inv: Invocation,
  target: Target | undefined,
  currencyId: string | undefined,
): Promise<Reply> {
  const { subject, who } = readTarget(inv, target);
  const currencies = await core.currencies(inv.realmId);
  if (currencyId) await core.currency(inv.realmId, currencyId);
  let entries: LedgerEntry[] = [];
  try {
    entries = (await core.history(inv.realmId, { subject, currencyId, limit: HISTORY_SIZE })).items;
  } catch (error) {
    if (!neverCredited(error, subject)) throw error;
  }
  return {
    visibility: "ephemeral",
    kind: "info",
    title: "History",
    lines:
      entries.length === 0
        ? [`${who} has no points history yet.`]
        : [
            `The latest ${entries.length === 1 ? "change" : `${entries.length} changes`} for ${who}, newest first:`,
            ...entries.map((e) =>
              entryLine(
                inv.platform,
                e,
                currencies.find((c) => c.id === e.currencyId),
              ),
            ),
          ],
  };
}

/**
 * Reverses an entry: the one named, or the invoker's own newest give, take or tip in the realm that is not undone yet.
 * Core appends the opposite entry (both legs of a tip) under this command's idempotency key.
 */
async function undo(core: BalanceService, inv: Invocation, entryId: string | undefined): Promise<Reply> {
  if (!inv.invoker.isManager) {
    return refuseNonManager(
      inv,
      "undo",
      "Ask a manager to undo a change; a tip can be tipped back with `/points tip`.",
    );
  }
  // A redelivered bare undo finds the next entry down; core then refuses it (same key, another request), so a retry
  // can never undo a second entry.
  const last = entryId ? undefined : await core.lastEntryBy(inv.realmId, { type: inv.platform, id: inv.invoker.id });
  const id = entryId ?? (last ? String(last.id) : undefined);
  if (!id) {
    return refuse(
      "Nothing to undo",
      "You have no give, take or tip in this realm that is not undone already.",
      "To undo someone else's change, name it: `/points undo <entry-id>` (ids are in `/points history`).",
    );
  }
  const reversal = await core.reverse(context(inv), id);
  const cur = reversal.currency;
  const change = reversal.entry.delta;
  const what = last
    ? `your ${last.kind === "transfer" ? "tip" : last.delta > 0n ? "give" : "take"} of ${quantity(last.delta < 0n ? -last.delta : last.delta, cur)} from ${last.createdAt.toISOString().slice(0, 10)}${last.description ? ` for "${neutralizeMentions(inv.platform, last.description)}"` : ""}`
    : undefined;
  return {
    visibility: "public",
    kind: "success",
    title: "Change undone",
    lines: [
      `${invokerLabel(inv)} undid entry #${id}${what ? `, ${what}` : ""}.`,
      `The balance it changed moved by ${change > 0n ? "+" : ""}${quantity(change, cur)} and is now **${quantity(reversal.balance, cur)}**.`,
      ...(reversal.entries.length > 1 ? ["Both sides of the tip were reversed."] : []),
      ...replayNote(reversal.replayed),
    ],
    fields: [
      { name: "Entry", value: `#${id}` },
      { name: "Undone by", value: `#${reversal.entry.id}` },
      { name: "Change", value: `${change > 0n ? "+" : ""}${quantity(change, cur)}` },
      { name: "New balance", value: quantity(reversal.balance, cur) },
    ],
  };
}

function entryLine(platform: Invocation["platform"], entry: LedgerEntry, cur: Currency | undefined): string {
  const scale = cur?.scale ?? 0;
  const sign = entry.delta > 0n ? "+" : "";
  const by =
    entry.initiatorType === platform
      ? `<@${entry.initiatorId}>`
      : entry.initiatorType === "api_key"
        ? "the API"
        : `${entry.initiatorType}:${entry.initiatorId}`;
  const what =
    entry.kind === "transfer"
      ? "tip"
      : entry.kind === "link"
        ? "account link"
        : entry.kind === "reversal"
          ? `undo of #${entry.reversesEntryId}`
          : undefined;
  const day = entry.createdAt.toISOString().slice(0, 10);
  const delta = `${sign}${formatAmount(entry.delta, scale)}`;
  // The id leads so a manager can name the entry to `/points undo`.
  return [
    `#${entry.id} ${day} **${delta}**${cur ? ` ${unitName(cur.name, delta)}` : ""}`,
    what,
    entry.description ? `"${neutralizeMentions(platform, entry.description)}"` : undefined,
    `by ${by}`,
    `balance ${formatAmount(entry.balanceAfter, scale)}`,
    entry.reversedBy ? `undone by #${entry.reversedBy}` : undefined,
  ]
    .filter(Boolean)
    .join(" · ");
}

/** Whom a read is about: the named target, or the invoker themself. */
function readTarget(inv: Invocation, target: Target | undefined): { subject: Subject; who: string } {
  return target
    ? { subject: targetSubject(target), who: targetLabel(inv.platform, target) }
    : { subject: invokerSubject(inv), who: invokerLabel(inv) };
}

/** A member nobody has credited yet simply holds nothing; an unknown user_id is a typo worth reporting. */
function neverCredited(error: unknown, subject: Subject): boolean {
  return isTallyError(error) && error.code === "NOT_FOUND" && subject.kind === "credential";
}

/** A leaderboard holder as a mention on this platform when they have an identity here, else their best name. */
function holderLabel(platform: Invocation["platform"], row: LeaderboardRow): string {
  const native = row.credentials.find((c) =>
    platform === "discord" ? c.type === "discord-id" : c.type === "custom" && c.source === "slack",
  );
  if (native) return `<@${native.value}>`;
  if (row.name) return neutralizeMentions(platform, row.name);
  if (row.userId) return `user:${row.userId}`;
  const first = row.credentials[0];
  return first ? `${first.type === "custom" ? first.source : first.type}:${first.value}` : row.accountId;
}
