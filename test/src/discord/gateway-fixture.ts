import { type BalanceService, normalizeIdentifier } from "@tally/core";
import { startDiscordGateway } from "@tally/discord-bot";
import { type LocalDiscord, type RecordedRequest, startLocalDiscord } from "./local-discord.ts";

export interface GatewayFixture {
  discord: LocalDiscord;
  stop(): Promise<void>;
  /** Dispatches the interaction over the gateway and resolves with the `count`-th callback Discord receives for it. */
  send(interaction: Record<string, unknown>, count?: number): Promise<RecordedRequest>;
  errors: unknown[];
}

/** A local Discord with the real discord.js client logged in to it through Tally's gateway entry point. */
export async function startGatewayFixture(
  core: BalanceService,
  options: { deferAfterMs?: number; publicUrl?: string } = {},
): Promise<GatewayFixture> {
  const discord = await startLocalDiscord();
  const errors: unknown[] = [];
  const bot = await startDiscordGateway({
    core,
    token: discord.token,
    apiUrl: discord.apiUrl,
    rest: { retries: 0 },
    deferAfterMs: options.deferAfterMs,
    publicUrl: options.publicUrl,
    onError: (error) => errors.push(error),
  });
  return {
    discord,
    errors,
    async stop() {
      await bot.stop();
      await discord.close();
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
