import type { RawHttpRequest, RawHttpResponse, Reply } from "@tally/bot-commands";
import type { BalanceService } from "@tally/core";
import {
  type APIApplicationCommandAutocompleteInteraction,
  type APIChatInputApplicationCommandInteraction,
  type APIInteraction,
  ApplicationCommandOptionType,
  ApplicationCommandType,
  InteractionResponseType,
  InteractionType,
  MessageFlags,
  REST,
  Routes,
} from "discord.js";
import { answerInTime, DEFER_AFTER_MS } from "./answer-in-time.ts";
import { currencyChoices } from "./currency-choices.ts";
import { dispatchPoints } from "./dispatch-points.ts";
import { readApiInteraction } from "./read-api-interaction.ts";
import { internalErrorReply, renderEmbed } from "./render-embed.ts";
import { discordPublicKey, verifyDiscordSignature } from "./verify-signature.ts";

export const DEFAULT_DISCORD_API = "https://discord.com/api";

export interface InteractionsHandlerOptions {
  core: BalanceService;
  /** The application's public key (hex), from the Developer Portal: DISCORD_PUBLIC_KEY. */
  publicKey: string;
  /** REST base for deferred follow-ups: DISCORD_API_URL. */
  apiUrl?: string | undefined;
  deferAfterMs?: number | undefined;
  onError?: ((error: unknown) => void) | undefined;
  /** TALLY_PUBLIC_URL, the base of the links `/points dashboard` sends. */
  publicUrl?: string | undefined;
}

const json = (status: number, body: unknown): RawHttpResponse => ({
  status,
  headers: { "content-type": "application/json" },
  body,
});

/**
 * `POST /discord/interactions`: Discord's outgoing-webhook transport. Verifies the Ed25519 signature over the exact
 * bytes, answers PING, and runs /points through the same dispatcher as the gateway.
 */
export function createDiscordInteractionsHandler(
  options: InteractionsHandlerOptions,
): (req: RawHttpRequest) => Promise<RawHttpResponse> {
  const key = discordPublicKey(options.publicKey);
  const rest = new REST({ api: options.apiUrl ?? DEFAULT_DISCORD_API });
  const onError = options.onError ?? ((error: unknown) => console.error("discord interaction failed:", error));

  return async (req) => {
    const signature = header(req, "x-signature-ed25519");
    const timestamp = header(req, "x-signature-timestamp");
    const check = verifyDiscordSignature(key, req.rawBody, signature, timestamp);
    if (!check.ok) return json(401, { error: "invalid request signature", message: check.reason });
    let interaction: APIInteraction;
    try {
      interaction = JSON.parse(req.rawBody);
    } catch {
      return json(400, { error: "the body is not JSON" });
    }
    switch (interaction.type) {
      case InteractionType.Ping:
        return json(200, { type: InteractionResponseType.Pong });
      case InteractionType.ApplicationCommand:
        if (interaction.data.type !== ApplicationCommandType.ChatInput || interaction.data.name !== "points") {
          return json(200, message(unknownCommand(interaction.data.name)));
        }
        return command(interaction as APIChatInputApplicationCommandInteraction);
      case InteractionType.ApplicationCommandAutocomplete:
        return json(200, {
          type: InteractionResponseType.ApplicationCommandAutocompleteResult,
          data: { choices: await autocompleteChoices(interaction) },
        });
      default:
        return json(400, { error: `interaction type ${interaction.type} is not handled by Tally` });
    }
  };

  async function command(interaction: APIChatInputApplicationCommandInteraction): Promise<RawHttpResponse> {
    const work = dispatchPoints(options.core, readApiInteraction(interaction), {}, options).catch((error: unknown) => {
      onError(error);
      return internalErrorReply;
    });
    const first = await answerInTime(work, options.deferAfterMs ?? DEFER_AFTER_MS);
    if (first.done) return json(200, message(first.value));
    // Answer "thinking…" now and deliver the reply through the interaction webhook when it is ready.
    first.later.then((reply) => followUp(interaction, reply)).catch(onError);
    return json(200, { type: InteractionResponseType.DeferredChannelMessageWithSource });
  }

  async function followUp(interaction: APIChatInputApplicationCommandInteraction, reply: Reply): Promise<void> {
    const body = renderEmbed(reply);
    const { application_id: appId, token } = interaction;
    if (reply.visibility === "public") {
      await rest.patch(Routes.webhookMessage(appId, token, "@original"), { body, auth: false });
      return;
    }
    // A deferred response is public; a private answer replaces it with an ephemeral follow-up.
    await rest.delete(Routes.webhookMessage(appId, token, "@original"), { auth: false });
    await rest.post(Routes.webhook(appId, token), { body: { ...body, flags: MessageFlags.Ephemeral }, auth: false });
  }

  async function autocompleteChoices(interaction: APIApplicationCommandAutocompleteInteraction) {
    const [sub] = interaction.data.options ?? [];
    const given = sub?.type === ApplicationCommandOptionType.Subcommand ? (sub.options ?? []) : [];
    const focused = given.find((o) => "focused" in o && o.focused);
    if (focused?.name !== "currency" || !("value" in focused)) return [];
    return currencyChoices(options.core, interaction.guild_id ?? null, String(focused.value));
  }
}

function message(reply: Reply) {
  return { type: InteractionResponseType.ChannelMessageWithSource, data: renderEmbed(reply) };
}

function unknownCommand(name: string): Reply {
  return {
    visibility: "ephemeral",
    kind: "error",
    title: "Unknown command",
    lines: [`Tally only handles /points, not /${name}. An admin may need to run \`pnpm tally discord register\`.`],
  };
}

function header(req: RawHttpRequest, name: string): string | undefined {
  // Node lower-cases incoming header names.
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
