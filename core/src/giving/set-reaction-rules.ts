import { type BotBinding, type BotPlatform, botBindings, type Database, type ReactionRule } from "@tally/db";
import { eq } from "drizzle-orm";
import { BOOTSTRAP_REALM, mergedSettings, patchOwnBinding } from "../admin/bot-bindings.ts";
import { listCurrencies } from "../admin/currencies.ts";
import { parseAmount } from "../amounts.ts";
import { isTallyError, TallyError } from "../errors.ts";

const MAX_RULES = 50;

/**
 * Throws VALIDATION naming the rule that is wrong; returns the rules with Slack's `:colons:` dropped. A rule's currency
 * must be the realm's, and its amount must be one that currency can hold (1.5 of a currency without decimal places
 * would be refused at every reaction instead).
 */
export async function checkReactionRules(
  db: Database,
  realmId: string,
  rules: ReactionRule[],
): Promise<ReactionRule[]> {
  const checked = checkRuleShapes(rules);
  if (checked.length === 0) return checked;
  const known = await listCurrencies(db, realmId);
  checked.forEach((rule, i) => {
    const currency =
      rule.currencyId === undefined ? known.find((c) => c.isDefault) : known.find((c) => c.id === rule.currencyId);
    if (rule.currencyId !== undefined && !currency) {
      throw new TallyError(
        "VALIDATION",
        `reactions[${i}].currencyId: this realm has no currency "${rule.currencyId}".`,
      );
    }
    if (!currency) return; // an unknown realm: binding to it is refused by name
    try {
      parseAmount(rule.amount, currency.scale);
    } catch (error) {
      if (!isTallyError(error)) throw error;
      throw new TallyError("VALIDATION", `reactions[${i}].amount: ${error.message}`);
    }
  });
  return checked;
}

function checkRuleShapes(rules: ReactionRule[]): ReactionRule[] {
  if (rules.length > MAX_RULES) throw new TallyError("VALIDATION", `reactions: at most ${MAX_RULES} emoji.`);
  const seen = new Set<string>();
  return rules.map((rule, i) => {
    const emoji = rule.emoji.trim().replace(/^:(.+):$/, "$1");
    if (!emoji || emoji.length > 100 || /\s/.test(emoji)) {
      throw new TallyError(
        "VALIDATION",
        `reactions[${i}].emoji must be one emoji name or character, not "${rule.emoji}".`,
      );
    }
    if (!Number.isFinite(rule.amount) || rule.amount <= 0 || rule.amount > Number.MAX_SAFE_INTEGER) {
      throw new TallyError("VALIDATION", `reactions[${i}].amount must be a positive number.`);
    }
    if (seen.has(emoji)) throw new TallyError("VALIDATION", `reactions[${i}].emoji "${emoji}" is listed twice.`);
    seen.add(emoji);
    return { emoji, amount: rule.amount, ...(rule.currencyId ? { currencyId: rule.currencyId } : {}) };
  });
}

/**
 * Sets which emoji give points in a guild or team, keeping its other settings. Only the realm the guild or team is
 * bound to (the bootstrap realm while unbound) may change them, so one realm cannot take another's server over.
 * One statement merges the rules in and checks the realm: reading the binding first would lose a manager change made
 * in between, and could bind a guild back to this realm after another realm took it.
 */
export async function setReactionRules(
  db: Database,
  input: { platform: BotPlatform; externalId: string; realmId: string; reactions: ReactionRule[] },
): Promise<BotBinding> {
  const { platform, externalId, realmId } = input;
  const reactions = await checkReactionRules(db, realmId, input.reactions);
  const [binding] =
    realmId === BOOTSTRAP_REALM
      ? // An unbound guild or team is the bootstrap realm's: its first rules bind it there.
        await db
          .insert(botBindings)
          .values({ platform, externalId, realmId, settings: { reactions } })
          .onConflictDoUpdate({
            target: [botBindings.platform, botBindings.externalId],
            set: { settings: mergedSettings({ reactions }) },
            setWhere: eq(botBindings.realmId, realmId),
          })
          .returning()
      : [await patchOwnBinding(db, realmId, input, { reactions })];
  if (!binding) {
    throw new TallyError(
      "FORBIDDEN",
      `That ${platform === "discord" ? "server" : "workspace"} is bound to another realm.`,
    );
  }
  return binding;
}
