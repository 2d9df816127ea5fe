import type { AllowanceState, BalanceService } from "@tally/core";
import { checkTransfer, refuse } from "./check-transfer.ts";
import type { Invocation, PointsCommand, Reply } from "./contract.ts";
import type { ErrorSituation } from "./describe-error.ts";
import { type CurrencyLabel, quantity, typedQuantity } from "./format-quantity.ts";
import { formatWhen } from "./format-when.ts";
import { context, invokerLabel, invokerSubject, replayNote, shownReason } from "./invocation-context.ts";
import { sameAccount, targetLabel, targetSubject } from "./resolve-target.ts";

/** `/points thank`: any member mints points for someone else out of their allowance, never their own balance. */
export async function thank(
  core: BalanceService,
  inv: Invocation,
  command: Extract<PointsCommand, { name: "thank" }>,
  situation: ErrorSituation,
): Promise<Reply> {
  const refusal = checkTransfer(inv, command);
  if (refusal) return refusal;
  const target = targetLabel(inv.platform, command.target);
  const cur = await core.currency(inv.realmId, command.currencyId);
  Object.assign(situation, { subjectLabel: target, currency: cur });
  if (cur.allowanceAmount === null) {
    return refuse(
      `${cur.name} has no allowance`,
      "Thanks are given from an allowance each member gets per day, week or month, and this currency has none.",
      "An admin can set one: `pnpm tally currency update --allowance 10/week` or PATCH the currency over the API.",
    );
  }
  const to = targetSubject(command.target);
  if (await sameAccount(core, inv.realmId, invokerSubject(inv), to)) {
    return refuse("You cannot thank yourself", "Thank someone who helped you: `/points thank @member`.");
  }
  const result = await core.thank(context(inv), {
    giver: invokerSubject(inv),
    target: to,
    amount: command.amount,
    currencyId: cur.id,
    description: command.reason ?? null,
    giverIsManager: inv.invoker.isManager,
    targetJoinedAt: inv.targetJoinedAt,
  });
  const giver = invokerLabel(inv);
  const amount = typedQuantity(command.amount, cur);
  const reason = shownReason(inv, command.reason);
  const left = result.allowance;
  return {
    visibility: "public",
    kind: "success",
    title: "Thanks given",
    lines: [
      `${giver} thanked ${target} with ${amount}${reason ? ` for "${reason}"` : ""}.`,
      `New balance of ${target}: **${quantity(result.change.balance, cur)}**.`,
      ...(left ? [`${giver} has ${leftText(left, cur)}.`] : []),
      ...replayNote(result.replayed),
    ],
    fields: [
      { name: "From", value: giver },
      { name: "To", value: target },
      { name: "Amount", value: amount },
      ...(reason ? [{ name: "Reason", value: reason }] : []),
      { name: "New balance", value: quantity(result.change.balance, cur) },
      ...(left
        ? [{ name: "Allowance left", value: `${quantity(left.remaining, cur)} of ${quantity(left.amount, cur)}` }]
        : []),
    ],
  };
}

/** `/points allowance`: what the invoker has left to give this period, and when it refills. */
export async function allowance(core: BalanceService, inv: Invocation, currencyId: string | undefined): Promise<Reply> {
  const { allowance: state, currency: cur } = await core.allowanceLeft(inv.realmId, invokerSubject(inv), currencyId);
  if (!state) {
    return {
      visibility: "ephemeral",
      kind: "info",
      title: "No allowance",
      lines: [
        `${cur.name} has no allowance, so there is nothing to give with \`/points thank\`.`,
        "An admin can set one per day, week or month.",
      ],
    };
  }
  const exempt = cur.allowanceManagersExempt && inv.invoker.isManager;
  return {
    visibility: "ephemeral",
    kind: "info",
    title: "Your allowance",
    lines: [
      `You have ${leftText(state, cur)}.`,
      `It refills to ${quantity(state.amount, cur)} ${formatWhen(inv.platform, state.resetsAt)}; unused allowance does not roll over.`,
      ...(exempt ? ["As a manager you may give without drawing on it."] : []),
    ],
    fields: [
      { name: "Left", value: quantity(state.remaining, cur) },
      { name: `Per ${state.period}`, value: quantity(state.amount, cur) },
      { name: "Refills", value: formatWhen(inv.platform, state.resetsAt) },
    ],
  };
}

function leftText(state: AllowanceState, cur: CurrencyLabel): string {
  return `${quantity(state.remaining, cur)} of ${quantity(state.amount, cur)} left to give this ${state.period}`;
}
