import { once } from "node:events";
import type { BalanceService } from "@tally/core";
import { Client, Events, GatewayIntentBits, type Interaction, type RESTOptions } from "discord.js";
import { autocomplete, execute } from "./commands/points.ts";
import { DEFAULT_DISCORD_API } from "./interactions-handler.ts";

export interface GatewayOptions {
  core: BalanceService;
  token: string;
  /** REST base: DISCORD_API_URL. The gateway URL is whatever `GET /gateway/bot` there returns. */
  apiUrl?: string | undefined;
  /** Extra REST settings (tests turn retries off). */
  rest?: Partial<RESTOptions> | undefined;
  deferAfterMs?: number | undefined;
  onError?: ((error: unknown) => void) | undefined;
  /** TALLY_PUBLIC_URL, the base of the links `/points dashboard` sends. */
  publicUrl?: string | undefined;
}

/**
 * Logs the bot in over the gateway and answers /points interactions. Slash commands need only the Guilds intent:
 * no message content, no member list.
 */
export async function startDiscordGateway(options: GatewayOptions): Promise<{ client: Client; stop(): Promise<void> }> {
  const onError = options.onError ?? ((error: unknown) => console.error("discord interaction failed:", error));
  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    rest: { ...options.rest, api: options.apiUrl ?? DEFAULT_DISCORD_API },
  });
  // Replies still being written when the process is told to stop: stop() waits for them.
  const inFlight = new Set<Promise<void>>();
  const answer = async (interaction: Interaction) => {
    try {
      if (interaction.isChatInputCommand() && interaction.commandName === "points") {
        await execute(interaction, {
          core: options.core,
          deferAfterMs: options.deferAfterMs,
          onError,
          publicUrl: options.publicUrl,
        });
      } else if (interaction.isAutocomplete() && interaction.commandName === "points") {
        await autocomplete(interaction, options.core);
      }
    } catch (error) {
      // A reply that could not be delivered (expired token, network) must not take the process down.
      onError(error);
    }
  };
  client.on(Events.InteractionCreate, (interaction) => {
    const work = answer(interaction).finally(() => inFlight.delete(work));
    inFlight.add(work);
  });
  const ready = once(client, Events.ClientReady);
  try {
    await client.login(options.token);
    await ready;
  } catch (error) {
    await client.destroy();
    throw error;
  }
  return {
    client,
    stop: async () => {
      await Promise.allSettled(inFlight);
      await client.destroy();
    },
  };
}
