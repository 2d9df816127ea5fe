import { type BalanceService, normalizeIdentifier, type ReactionOutcome } from "@tally/core";
import { startDiscordGateway } from "@tally/discord-bot";
import { type LocalDiscord, type RecordedRequest, startLocalDiscord } from "./local-discord.ts";

export interface GatewayFixture {
  discord: LocalDiscord;
  stop(): Promise<void>;
  /** Dispatches the interaction over the gateway and resolves with the `count`-th callback Discord receives for it. */
  send(interaction: Record<string, unknown>, count?: number): Promise<RecordedRequest>;
  errors: unknown[];
  /** Dispatches a reaction event and resolves with what Tally made of it. */
  react(
    event:
      | "MESSAGE_REACTION_ADD"
      | "MESSAGE_REACTION_REMOVE"
      | "MESSAGE_REACTION_REMOVE_ALL"
      | "MESSAGE_REACTION_REMOVE_EMOJI",
    data: Record<string, unknown>,
  ): Promise<ReactionOutcome>;
}

/** A local Discord with the real discord.js client logged in to it through Tally's gateway entry point. */
export async function startGatewayFixture(
  core: BalanceService,
  options: { deferAfterMs?: number; membersIntent?: boolean; bulkMax?: number; publicUrl?: string } = {},
): Promise<GatewayFixture> {
  const discord = await startLocalDiscord();
  const errors: unknown[] = [];
  // Reaction outcomes in arrival order, and who is waiting for the next one.
  const outcomes: ReactionOutcome[] = [];
  const waiting: ((outcome: ReactionOutcome) => void)[] = [];
  const bot = await startDiscordGateway({
    core,
    token: discord.token,
    apiUrl: discord.apiUrl,
    rest: { retries: 0 },
    deferAfterMs: options.deferAfterMs,
    publicUrl: options.publicUrl,
    membersIntent: options.membersIntent,
    bulkMax: options.bulkMax,
    onError: (error) => {
      errors.push(error);
      waiting.shift()?.({ outcome: "nothing" });
    },
    onReaction: (outcome) => {
      const waiter = waiting.shift();
      if (waiter) waiter(outcome);
      else outcomes.push(outcome);
    },
  });
  return {
    discord,
    errors,
    async stop() {
      await bot.stop();
      await discord.close();
    },
    react(event, data) {
      const next = new Promise<ReactionOutcome>((resolve) => {
        const queued = outcomes.shift();
        if (queued) resolve(queued);
        else waiting.push(resolve);
      });
      discord.gateway.dispatch(event, data);
      return next;
    },
    send(interaction, count = 1) {
      const id = String(interaction.id);
      discord.gateway.dispatchInteraction(interaction);
      return discord.waitFor((r) => r.path.startsWith(`/api/v10/interactions/${id}/`), count);
    },
  };
}

export const discordSubject = (id: string) => ({
  kind: "credential" as const,
  identifier: normalizeIdentifier("discord-id", id),
});
