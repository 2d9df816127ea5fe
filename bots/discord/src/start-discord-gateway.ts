import { once } from "node:events";
import { inOrderPerKey } from "@tally/bot-commands";
import type { BalanceService, ReactionOutcome } from "@tally/core";
import { Client, Events, GatewayIntentBits, type Interaction, type RESTOptions } from "discord.js";
import { autocomplete, execute } from "./commands/points.ts";
import { handleReaction, isReactionPacket, type ReactionPacket } from "./handle-reaction.ts";
import { DEFAULT_DISCORD_API } from "./interactions-handler.ts";
import { roleMemberLister } from "./list-role-members.ts";

export interface GatewayOptions {
  core: BalanceService;
  token: string;
  /** REST base: DISCORD_API_URL. The gateway URL is whatever `GET /gateway/bot` there returns. */
  apiUrl?: string | undefined;
  /** Extra REST settings (tests turn retries off). */
  rest?: Partial<RESTOptions> | undefined;
  deferAfterMs?: number | undefined;
  /**
   * DISCORD_MEMBERS_INTENT: the app has the Server Members intent, so `/points give role:` may list a role's members
   * (REST `GET /guilds/{id}/members`; no member events are asked for over the gateway).
   */
  membersIntent?: boolean | undefined;
  /** TALLY_BULK_MAX: most members one role give may reach. */
  bulkMax?: number | undefined;
  onError?: ((error: unknown) => void) | undefined;
  /** The shards this client connects, of how many (discord.js's `shards`/`shardCount`); default shard 0 of 1. */
  shards?: { ids: number[]; count: number } | undefined;
  /** Told what each reaction event did (tests wait on it; a process could log it). */
  onReaction?: ((outcome: ReactionOutcome, packet: ReactionPacket) => void) | undefined;
  /** TALLY_PUBLIC_URL, the base of the links `/points dashboard` sends. */
  publicUrl?: string | undefined;
}

/**
 * Logs the bot in over the gateway and answers /points interactions. Slash commands need only the Guilds intent,
 * reactions as points the non-privileged GuildMessageReactions one: no message content, no member list.
 */
export async function startDiscordGateway(options: GatewayOptions): Promise<{ client: Client; stop(): Promise<void> }> {
  const onError = options.onError ?? ((error: unknown) => console.error("discord interaction failed:", error));
  const client = new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessageReactions],
    ...(options.shards ? { shards: options.shards.ids, shardCount: options.shards.count } : {}),
    rest: { ...options.rest, api: options.apiUrl ?? DEFAULT_DISCORD_API },
  });
  const group = {
    listRoleMembers: options.membersIntent ? roleMemberLister(client.rest) : undefined,
    bulkMax: options.bulkMax,
  };
  // Replies still being written when the process is told to stop: stop() waits for them.
  const inFlight = new Set<Promise<void>>();
  const answer = async (interaction: Interaction) => {
    try {
      if (interaction.isChatInputCommand() && interaction.commandName === "points") {
        await execute(interaction, {
          core: options.core,
          deferAfterMs: options.deferAfterMs,
          onError,
          group,
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
  // Raw packets: discord.js's own reaction events drop `message_author_id` and need the message cached. A message's
  // events are handled in the order the gateway sent them (see inOrderPerKey); other messages' at once.
  const inOrder = inOrderPerKey();
  client.on(Events.Raw, (packet: { t?: unknown }) => {
    if (!isReactionPacket(packet)) return;
    const work = inOrder(packet.d.message_id, () => handleReaction(options.core, client, packet)).then(
      (outcome) => options.onReaction?.(outcome, packet),
      (error: unknown) => onError(error),
    );
    const tracked = work.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
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
