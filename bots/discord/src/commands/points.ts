import type { Reply } from "@tally/bot-commands";
import type { BalanceService } from "@tally/core";
import {
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
  InteractionContextType,
  MessageFlags,
  SlashCommandBuilder,
  type SlashCommandSubcommandBuilder,
} from "discord.js";
import { answerInTime, DEFER_AFTER_MS } from "../answer-in-time.ts";
import { currencyChoices } from "../currency-choices.ts";
import { dispatchPoints, type GroupOptions } from "../dispatch-points.ts";
import type { PointsRequest } from "../points-request.ts";
import { internalErrorReply, renderEmbed } from "../render-embed.ts";

const MAX_REASON = 200;

const withCurrency = (s: SlashCommandSubcommandBuilder) =>
  s.addStringOption((o) =>
    o.setName("currency").setDescription("Which currency (the server's default when empty)").setAutocomplete(true),
  );

// Discord lists required options first: the amount, then whom (a user, or `to` for an identity elsewhere).
const moving = (s: SlashCommandSubcommandBuilder, name: string, description: string, who: string) =>
  withCurrency(
    s
      .setName(name)
      .setDescription(description)
      .addIntegerOption((o) =>
        o
          .setName("amount")
          .setDescription("How many points")
          .setRequired(true)
          .setMinValue(1)
          .setMaxValue(Number.MAX_SAFE_INTEGER),
      )
      .addUserOption((o) => o.setName("user").setDescription(who))
      .addStringOption((o) =>
        o
          .setName("to")
          .setDescription("Instead of user: slack:U…, email:…, user:<user_id> or discord:<id>")
          .setMaxLength(300),
      )
      .addStringOption((o) => o.setName("reason").setDescription("Why (shown in the reply)").setMaxLength(MAX_REASON)),
  );

const about = (s: SlashCommandSubcommandBuilder, name: string, description: string) =>
  withCurrency(
    s
      .setName(name)
      .setDescription(description)
      .addUserOption((o) => o.setName("user").setDescription("Whose (yours when empty)")),
  );

/** `/points` with one subcommand per action. Guild-only: a guild decides the realm. */
export const data = new SlashCommandBuilder()
  .setName("points")
  .setDescription("Give, take, tip and check points")
  .setContexts(InteractionContextType.Guild)
  .addSubcommand((s) =>
    moving(
      s,
      "give",
      "Give points to a member or every member of a role (managers)",
      "Who gets the points",
    ).addRoleOption((o) =>
      o.setName("role").setDescription("Instead of user: every member of this role (bots left out)"),
    ),
  )
  .addSubcommand((s) => moving(s, "take", "Take points from a member (managers)", "Who loses the points"))
  .addSubcommand((s) => moving(s, "tip", "Give some of your own points to a member", "Who gets your points"))
  .addSubcommand((s) =>
    withCurrency(
      s
        .setName("thank")
        .setDescription("Give points from your allowance (not your balance)")
        .addUserOption((o) => o.setName("user").setDescription("Whom to thank").setRequired(true))
        .addIntegerOption((o) =>
          o
            .setName("amount")
            .setDescription("How many (1 when empty)")
            .setMinValue(1)
            .setMaxValue(Number.MAX_SAFE_INTEGER),
        )
        .addStringOption((o) =>
          o.setName("reason").setDescription("Why (shown in the reply)").setMaxLength(MAX_REASON),
        ),
    ),
  )
  .addSubcommand((s) =>
    withCurrency(s.setName("allowance").setDescription("What you have left to give, and when it refills")),
  )
  .addSubcommand((s) => about(s, "balance", "Show a balance"))
  .addSubcommand((s) =>
    withCurrency(
      s
        .setName("leaderboard")
        .setDescription("Show the top holders, or who received the most today, this week or this month")
        .addStringOption((o) =>
          o
            .setName("period")
            .setDescription("Rank by what was received in this period (all: by balance)")
            .addChoices(
              { name: "today", value: "day" },
              { name: "this week", value: "week" },
              { name: "this month", value: "month" },
              { name: "all time (balance)", value: "all" },
            ),
        ),
    ),
  )
  .addSubcommand((s) => about(s, "history", "Show recent changes to a balance"))
  .addSubcommand((s) =>
    s
      .setName("undo")
      .setDescription("Reverse a change (managers); your own last give, take or tip when no entry is named")
      .addStringOption((o) =>
        o.setName("entry").setDescription("The entry id /points history shows, e.g. 42").setMaxLength(20),
      ),
  )
  .addSubcommand((s) =>
    s
      .setName("link")
      .setDescription("Join your Discord and Slack accounts: get a code, or type the code from the other platform")
      .addStringOption((o) =>
        o.setName("code").setDescription("The TALLY-… code from your other platform (empty: get one)").setMaxLength(40),
      ),
  )
  .addSubcommand((s) => s.setName("whoami").setDescription("Your identities on every platform and your balances"))
  .addSubcommand((s) =>
    s.setName("dashboard").setDescription("A private one-time link to the web dashboard (managers)"),
  )
  .addSubcommand((s) => s.setName("help").setDescription("How /points works"));

export interface ExecuteOptions {
  core: BalanceService;
  group?: GroupOptions | undefined;
  deferAfterMs?: number | undefined;
  onError?: ((error: unknown) => void) | undefined;
  /** TALLY_PUBLIC_URL, the base of the links `/points dashboard` sends. */
  publicUrl?: string | undefined;
}

/** Answers a `/points` interaction from the gateway, deferring first when the work runs long. */
export async function execute(interaction: ChatInputCommandInteraction, options: ExecuteOptions): Promise<void> {
  const work = dispatchPoints(options.core, fromGateway(interaction), options.group, options).catch(
    (error: unknown) => {
      options.onError?.(error);
      return internalErrorReply;
    },
  );
  const first = await answerInTime(work, options.deferAfterMs ?? DEFER_AFTER_MS);
  if (first.done) {
    const reply = first.value;
    await interaction.reply(
      reply.visibility === "public" ? message(reply) : { ...message(reply), flags: MessageFlags.Ephemeral },
    );
    return;
  }
  await interaction.deferReply();
  const reply = await first.later;
  if (reply.visibility === "public") {
    await interaction.editReply(message(reply));
  } else {
    // A deferred response is public; a private answer replaces it with an ephemeral follow-up.
    await interaction.deleteReply();
    await interaction.followUp({ ...message(reply), flags: MessageFlags.Ephemeral });
  }
}

export async function autocomplete(interaction: AutocompleteInteraction, core: BalanceService): Promise<void> {
  const focused = interaction.options.getFocused(true);
  await interaction.respond(
    focused.name === "currency" ? await currencyChoices(core, interaction.guildId, String(focused.value)) : [],
  );
}

/** discord.js's message options from our wire-format body (it wants `allowedMentions`, not `allowed_mentions`). */
function message(reply: Reply) {
  return { embeds: renderEmbed(reply).embeds, allowedMentions: { parse: [] } };
}

function fromGateway(interaction: ChatInputCommandInteraction): PointsRequest {
  const member = interaction.member;
  // Uncached guilds give the raw API member (roles as ids); cached ones a GuildMember.
  const roleIds = !member ? [] : Array.isArray(member.roles) ? member.roles : [...member.roles.cache.keys()];
  const user = interaction.options.getUser("user");
  const target = interaction.options.getMember("user");
  const joined = !target ? undefined : "joined_at" in target ? target.joined_at : target.joinedAt?.toISOString();
  const role = interaction.options.getRole("role");
  return {
    interactionId: interaction.id,
    guildId: interaction.guildId,
    invoker: {
      id: interaction.user.id,
      displayName: interaction.user.globalName ?? interaction.user.username,
      permissions: interaction.memberPermissions?.bitfield ?? 0n,
      roleIds,
    },
    subcommand: interaction.options.getSubcommand(),
    user: user ? { id: user.id, bot: user.bot, displayName: user.globalName ?? user.username } : undefined,
    userJoinedAt: joined ?? undefined,
    amount: interaction.options.getInteger("amount") ?? undefined,
    to: interaction.options.getString("to") ?? undefined,
    role: role ? { id: role.id, name: role.name } : undefined,
    reason: interaction.options.getString("reason") ?? undefined,
    currency: interaction.options.getString("currency") ?? undefined,
    entry: interaction.options.getString("entry") ?? undefined,
    code: interaction.options.getString("code") ?? undefined,
    period: interaction.options.getString("period") ?? undefined,
  };
}
