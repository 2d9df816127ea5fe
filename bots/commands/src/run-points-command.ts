import {
  type BalanceService,
  formatAmount,
  isTallyError,
  type LeaderboardRow,
  type Subject,
  type WriteContext,
} from "@tally/core";
import { checkTransfer, refuse } from "./check-transfer.ts";
import type { Invocation, PointsCommand, Reply, Target } from "./contract.ts";
import { describeError, type ErrorSituation } from "./describe-error.ts";
import { helpText } from "./help-text.ts";
import { memberSubject, sameAccount, targetLabel, targetSubject } from "./resolve-target.ts";

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
    const command = inv.command;
    switch (command.name) {
      case "give":
      case "take":
        return await giveOrTake(core, inv, command, situation);
      case "tip":
        return await tip(core, inv, command, situation);
      case "balance":
        return await balance(core, inv, command.target, command.currencyId);
      case "leaderboard":
        return await leaderboard(core, inv, command.currencyId);
      case "history":
        return await history(core, inv, command.target, command.currencyId);
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
    throw error;
  }
}

function context(inv: Invocation): WriteContext {
  return {
    realmId: inv.realmId,
    initiator: { type: inv.platform, id: inv.invoker.id },
    via: inv.platform,
    idempotencyKey: inv.idempotencyKey,
  };
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
  Object.assign(situation, { scale: cur.scale, currencyName: cur.name });
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
  const amount = amountLabel(cur, command.amount);
  const newBalance = amountOf(cur, change.balance);
  const sentence =
    command.name === "give" ? `${giver} gave ${amount} to ${target}` : `${giver} took ${amount} from ${target}`;
  return {
    visibility: "public",
    kind: "success",
    title: command.name === "give" ? "Points given" : "Points taken",
    lines: [
      `${sentence}${command.reason ? ` for "${command.reason}"` : ""}.`,
      `New balance of ${target}: **${newBalance}**.`,
      ...replayNote(change.replayed),
    ],
    fields: [
      { name: command.name === "give" ? "Giver" : "Taken by", value: giver },
      { name: command.name === "give" ? "Recipient" : "From", value: target },
      { name: "Amount", value: amount },
      ...(command.reason ? [{ name: "Reason", value: command.reason }] : []),
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
  Object.assign(situation, { subjectLabel: "You", scale: cur.scale, currencyName: cur.name });
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
  const amount = amountLabel(cur, command.amount);
  return {
    visibility: "public",
    kind: "success",
    title: "Tip sent",
    lines: [
      `${tipper} tipped ${target} ${amount}${command.reason ? ` for "${command.reason}"` : ""}.`,
      `New balance of ${target}: **${amountOf(cur, result.to.balance)}**; ${tipper} now has **${amountOf(cur, result.from.balance)}**.`,
      ...replayNote(result.replayed),
    ],
    fields: [
      { name: "From", value: tipper },
      { name: "To", value: target },
      { name: "Amount", value: amount },
      ...(command.reason ? [{ name: "Reason", value: command.reason }] : []),
      { name: "New balance", value: amountOf(cur, result.to.balance) },
      { name: "Tipper's balance", value: amountOf(cur, result.from.balance) },
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
  const amount = amountOf(cur, minor);
  return {
    visibility: "public",
    kind: "info",
    title: "Balance",
    lines: [`${who} has **${amount}**.`],
    fields: [{ name: "Balance", value: amount }],
  };
}

async function leaderboard(core: BalanceService, inv: Invocation, currencyId: string | undefined): Promise<Reply> {
  const board = await core.leaderboard(inv.realmId, { currencyId, take: LEADERBOARD_SIZE });
  const cur = board.currency;
  return {
    visibility: "public",
    kind: "info",
    title: `Leaderboard — ${cur.emoji ? `${cur.emoji} ` : ""}${cur.name}`,
    lines:
      board.items.length === 0
        ? ["Nobody holds any yet. Managers can start with `/points give`."]
        : board.items.map(
            (row) => `${row.rank}. ${holderLabel(inv.platform, row)} — **${amountOf(cur, row.balance)}**`,
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

function entryLine(platform: Invocation["platform"], entry: LedgerEntry, cur: Currency | undefined): string {
  const scale = cur?.scale ?? 0;
  const sign = entry.delta > 0n ? "+" : "";
  const by =
    entry.initiatorType === platform
      ? `<@${entry.initiatorId}>`
      : entry.initiatorType === "api_key"
        ? "the API"
        : `${entry.initiatorType}:${entry.initiatorId}`;
  const what = entry.kind === "transfer" ? "tip" : entry.kind === "link" ? "account link" : undefined;
  const day = entry.createdAt.toISOString().slice(0, 10);
  return [
    `${day} **${sign}${formatAmount(entry.delta, scale)}**${cur ? ` ${cur.name}` : ""}`,
    what,
    entry.description ? `"${entry.description}"` : undefined,
    `by ${by}`,
    `balance ${formatAmount(entry.balanceAfter, scale)}`,
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

function invokerSubject(inv: Invocation): Subject {
  return memberSubject(inv.platform, inv.invoker.id);
}

function invokerLabel(inv: Invocation): string {
  return `<@${inv.invoker.id}>`;
}

/** A leaderboard holder as a mention on this platform when they have an identity here, else their best name. */
function holderLabel(platform: Invocation["platform"], row: LeaderboardRow): string {
  const native = row.credentials.find((c) =>
    platform === "discord" ? c.type === "discord-id" : c.type === "custom" && c.source === "slack",
  );
  if (native) return `<@${native.value}>`;
  if (row.name) return row.name;
  if (row.userId) return `user:${row.userId}`;
  const first = row.credentials[0];
  return first ? `${first.type === "custom" ? first.source : first.type}:${first.value}` : row.accountId;
}

function amountOf(cur: Currency, minor: bigint): string {
  return `${formatAmount(minor, cur.scale)} ${cur.emoji ? `${cur.emoji} ` : ""}${cur.name}`;
}

/** An amount as typed (whole units), labelled with the currency. */
function amountLabel(cur: Currency, amount: number): string {
  return `${amount.toLocaleString("en-US", { maximumFractionDigits: cur.scale })} ${cur.emoji ? `${cur.emoji} ` : ""}${cur.name}`;
}

function replayNote(replayed: boolean): string[] {
  return replayed ? ["(This command was already applied; this is its original result, nothing changed twice.)"] : [];
}
