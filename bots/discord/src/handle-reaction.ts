import { reactionRule, refusalNote } from "@tally/bot-commands";
import { type BalanceService, normalizeIdentifier, type ReactionOutcome } from "@tally/core";
import { type APIChannel, type APIGuildMember, type Client, Routes } from "discord.js";

/** `MESSAGE_REACTION_ADD` / `_REMOVE` as the gateway sends them (discord.js keeps `message_author_id` to itself). */
export interface OneReactionPacket {
  t: "MESSAGE_REACTION_ADD" | "MESSAGE_REACTION_REMOVE";
  d: {
    user_id: string;
    message_id: string;
    channel_id: string;
    guild_id?: string;
    emoji: { id: string | null; name: string | null };
    member?: { user?: { bot?: boolean } };
    message_author_id?: string;
  };
}

/** A moderator (or the author) cleared a message's reactions: all of them, or one emoji's. */
export interface ClearedReactionsPacket {
  t: "MESSAGE_REACTION_REMOVE_ALL" | "MESSAGE_REACTION_REMOVE_EMOJI";
  d: { message_id: string; channel_id: string; guild_id?: string; emoji?: { id: string | null; name: string | null } };
}

export type ReactionPacket = OneReactionPacket | ClearedReactionsPacket;

const REACTION_EVENTS: ReadonlySet<unknown> = new Set([
  "MESSAGE_REACTION_ADD",
  "MESSAGE_REACTION_REMOVE",
  "MESSAGE_REACTION_REMOVE_ALL",
  "MESSAGE_REACTION_REMOVE_EMOJI",
]);

export const isReactionPacket = (packet: { t?: unknown }): packet is ReactionPacket => REACTION_EVENTS.has(packet.t);

const discordId = (id: string) => ({ kind: "credential" as const, identifier: normalizeIdentifier("discord-id", id) });

/**
 * Turns a reaction with an emoji the guild's binding names into points for the message's author, or takes them back
 * when the reaction goes (alone, or with every reaction of the message or of its emoji). Self-reactions, bots on either
 * side and other emoji give nothing. A refusal is sent to the reactor as a DM (once per period for an exhausted
 * allowance), or not at all when DMs are closed.
 */
export async function handleReaction(
  core: BalanceService,
  client: Client,
  packet: ReactionPacket,
): Promise<ReactionOutcome> {
  if (isCleared(packet)) return clearReactions(core, packet);
  const d = packet.d;
  if (!d.guild_id) return { outcome: "nothing" };
  const binding = await core.bindingFor("discord", d.guild_id);
  const rule = reactionRule(binding, [d.emoji.id, d.emoji.name]);
  if (!rule) return { outcome: "nothing" };
  const key = {
    platform: "discord" as const,
    messageId: d.message_id,
    reactorId: d.user_id,
    emoji: d.emoji.id ?? d.emoji.name ?? "",
  };
  const ctx = {
    realmId: binding.realmId,
    initiator: { type: "discord" as const, id: d.user_id },
    via: "discord" as const,
  };
  if (packet.t === "MESSAGE_REACTION_REMOVE") return core.reactionRemoved(ctx, key);
  const author = d.message_author_id;
  if (!author || author === d.user_id || d.member?.user?.bot) return { outcome: "nothing" };
  // The author's member record says whether they are a bot and when they joined (for the account-age rule).
  const member = (await client.rest.get(Routes.guildMember(d.guild_id, author))) as APIGuildMember;
  if (member.user?.bot) return { outcome: "nothing" };
  const outcome = await core.reactionAdded(ctx, {
    ...key,
    targetId: author,
    giver: discordId(d.user_id),
    target: discordId(author),
    amount: rule.amount,
    currencyId: rule.currencyId,
    targetJoinedAt: member.joined_at ? new Date(member.joined_at) : undefined,
  });
  if (outcome.outcome === "refused" && outcome.notify) {
    const content = await refusalNote(core, "discord", binding.realmId, rule, outcome);
    try {
      const dm = (await client.rest.post(Routes.userChannels(), { body: { recipient_id: d.user_id } })) as APIChannel;
      await client.rest.post(Routes.channelMessages(dm.id), { body: { content, allowed_mentions: { parse: [] } } });
    } catch {
      // Closed DMs: the issue says "DM or nothing", and nothing is better than a public note in the channel.
    }
  }
  return outcome;
}

const isCleared = (packet: ReactionPacket): packet is ClearedReactionsPacket =>
  packet.t === "MESSAGE_REACTION_REMOVE_ALL" || packet.t === "MESSAGE_REACTION_REMOVE_EMOJI";

async function clearReactions(core: BalanceService, packet: ClearedReactionsPacket): Promise<ReactionOutcome> {
  const guildId = packet.d.guild_id;
  if (!guildId) return { outcome: "nothing" };
  const binding = await core.bindingFor("discord", guildId);
  const emoji = packet.d.emoji;
  // Gifts are keyed by the custom emoji's id, or the character: the same key a single removal uses.
  const key = emoji ? (emoji.id ?? emoji.name ?? "") : undefined;
  return core.reactionsCleared(
    // Each gift is taken back in its own reactor's name; the initiator here only carries the realm and door.
    { realmId: binding.realmId, initiator: { type: "discord", id: guildId }, via: "discord" },
    { platform: "discord", messageId: packet.d.message_id, emoji: key },
  );
}
