import type { App } from "@slack/bolt";
import { inOrderPerKey, reactionRule, refusalNote } from "@tally/bot-commands";
import type { BalanceService, ReactionOutcome } from "@tally/core";
import { cachedSlackUsers, USER_CACHE_MS } from "../slack-users.ts";

export interface ReactionEventsOptions {
  core: BalanceService;
  userCacheMs?: number | undefined;
  /** Told what each reaction event did (tests wait on it). */
  onReaction?: ((outcome: ReactionOutcome) => void) | undefined;
}

const slackUser = (id: string) => ({
  kind: "credential" as const,
  identifier: { type: "custom" as const, source: "slack", value: id },
});

/**
 * `reaction_added` / `reaction_removed` (scope `reactions:read`): an emoji the team's binding names gives points to the
 * message's author, once per (message, reactor, emoji) ever; removing it takes them back. Bolt acks events itself.
 * A refusal is told to the reactor alone with `chat.postEphemeral` (once per period for an exhausted allowance).
 */
export function registerReactionEvents(app: App, options: ReactionEventsOptions): void {
  const lookupUser = cachedSlackUsers(options.userCacheMs ?? USER_CACHE_MS);
  const report = (outcome: ReactionOutcome) => options.onReaction?.(outcome);
  // A message's events are handled in the order they came (see inOrderPerKey); other messages' at once.
  const inOrder = inOrderPerKey();

  app.event("reaction_added", async ({ event, body, client, logger }) => {
    const teamId = body.team_id;
    if (event.item.type !== "message" || !teamId) return report({ outcome: "nothing" });
    const messageId = `${event.item.channel}:${event.item.ts}`;
    await inOrder(messageId, async () => {
      const binding = await options.core.bindingFor("slack", teamId);
      const rule = reactionRule(binding, [event.reaction]);
      const author = event.item_user;
      if (!rule || !author || author === event.user) return report({ outcome: "nothing" });
      const [target, reactor] = await Promise.all([
        lookupUser(client, author, logger),
        lookupUser(client, event.user, logger),
      ]);
      if (target?.isBot || reactor?.isBot) return report({ outcome: "nothing" });
      const outcome = await options.core.reactionAdded(context(binding.realmId, event.user), {
        platform: "slack",
        messageId,
        reactorId: event.user,
        emoji: rule.emoji,
        targetId: author,
        giver: slackUser(event.user),
        target: slackUser(author),
        amount: rule.amount,
        currencyId: rule.currencyId,
      });
      if (outcome.outcome === "refused" && outcome.notify) {
        const text = await refusalNote(options.core, "slack", binding.realmId, rule, outcome);
        try {
          await client.chat.postEphemeral({ channel: event.item.channel, user: event.user, text });
        } catch (error) {
          logger.warn(`chat.postEphemeral failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      report(outcome);
    });
  });

  app.event("reaction_removed", async ({ event, body }) => {
    const teamId = body.team_id;
    if (event.item.type !== "message" || !teamId) return report({ outcome: "nothing" });
    const messageId = `${event.item.channel}:${event.item.ts}`;
    await inOrder(messageId, async () => {
      const binding = await options.core.bindingFor("slack", teamId);
      const rule = reactionRule(binding, [event.reaction]);
      if (!rule) return report({ outcome: "nothing" });
      report(
        await options.core.reactionRemoved(context(binding.realmId, event.user), {
          platform: "slack",
          messageId,
          reactorId: event.user,
          emoji: rule.emoji,
        }),
      );
    });
  });
}

const context = (realmId: string, userId: string) => ({
  realmId,
  initiator: { type: "slack" as const, id: userId },
  via: "slack" as const,
});
