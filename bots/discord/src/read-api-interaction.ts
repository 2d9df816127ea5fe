import {
  type APIApplicationCommandInteractionDataOption,
  type APIChatInputApplicationCommandInteraction,
  ApplicationCommandOptionType,
} from "discord.js";
import type { PointsRequest } from "./points-request.ts";

/** The same request the gateway builds, read from the raw interaction JSON that the HTTP endpoint receives. */
export function readApiInteraction(interaction: APIChatInputApplicationCommandInteraction): PointsRequest {
  const [sub] = interaction.data.options ?? [];
  const subcommand = sub?.type === ApplicationCommandOptionType.Subcommand ? sub : undefined;
  const options = subcommand?.options ?? [];
  const value = (name: string) => options.find((o) => o.name === name);
  const userId = stringValue(value("user"));
  const resolved = userId ? interaction.data.resolved?.users?.[userId] : undefined;
  const amount = value("amount");
  const roleId = stringValue(value("role"));
  const invoker = interaction.member?.user ?? interaction.user;
  return {
    interactionId: interaction.id,
    guildId: interaction.guild_id ?? null,
    invoker: {
      id: invoker?.id ?? "",
      displayName: invoker?.global_name ?? invoker?.username,
      permissions: BigInt(interaction.member?.permissions ?? "0"),
      roleIds: interaction.member?.roles ?? [],
    },
    subcommand: subcommand?.name ?? "",
    user: userId
      ? { id: userId, bot: resolved?.bot ?? false, displayName: resolved?.global_name ?? resolved?.username }
      : undefined,
    userJoinedAt: userId ? (interaction.data.resolved?.members?.[userId]?.joined_at ?? undefined) : undefined,
    amount: amount?.type === ApplicationCommandOptionType.Integer ? amount.value : undefined,
    to: stringValue(value("to")),
    role: roleId ? { id: roleId, name: interaction.data.resolved?.roles?.[roleId]?.name } : undefined,
    reason: stringValue(value("reason")),
    currency: stringValue(value("currency")),
    entry: stringValue(value("entry")),
    code: stringValue(value("code")),
    period: stringValue(value("period")),
  };
}

function stringValue(option: APIApplicationCommandInteractionDataOption | undefined): string | undefined {
  if (!option || !("value" in option)) return undefined;
  return typeof option.value === "string" ? option.value : undefined;
}
