import type { BalanceService, ReactionOutcome, TallyError } from "@tally/core";
import { describeError } from "./describe-error.ts";

type Binding = Awaited<ReturnType<BalanceService["bindingFor"]>>;
export type ReactionRule = NonNullable<Binding["settings"]["reactions"]>[number];

/**
 * The binding's rule for an emoji, if it gives points. Slack names skin-toned variants `thumbsup::skin-tone-2`: they
 * count as the base emoji. Discord custom emoji match by name or id.
 */
export function reactionRule(binding: Binding, names: (string | null | undefined)[]): ReactionRule | undefined {
  const wanted = names.filter((n): n is string => Boolean(n)).map(baseEmoji);
  return binding.settings.reactions?.find((rule) => wanted.includes(baseEmoji(rule.emoji)));
}

export function baseEmoji(name: string): string {
  return name.replace(/::skin-tone-\d$/, "").replace(/^:(.+):$/, "$1");
}

/** The private note a refused reaction earns (once per period for an exhausted allowance): plain text lines. */
export async function refusalNote(
  core: BalanceService,
  platform: "discord" | "slack",
  realmId: string,
  rule: ReactionRule,
  outcome: Extract<ReactionOutcome, { outcome: "refused" }>,
): Promise<string> {
  const currency = await core.currency(realmId, rule.currencyId);
  const reply = describeError(outcome.error as TallyError, { command: "thank", platform, currency });
  const bold = platform === "discord" ? "**" : "*";
  return [`${bold}Your reaction gave no points: ${reply.title.toLowerCase()}${bold}`, ...reply.lines].join("\n");
}
