import type { Reply } from "@tally/bot-commands";
import { type APIEmbed, MessageFlags } from "discord.js";

const COLORS: Record<Reply["kind"], number> = { success: 0x2ecc71, error: 0xe74c3c, info: 0x5865f2 };
// Discord's embed limits.
const MAX_TITLE = 256;
const MAX_DESCRIPTION = 4096;
const MAX_FIELD_NAME = 256;
const MAX_FIELD_VALUE = 1024;
const MAX_FIELDS = 25;

/** The message body of a reply: one embed, ephemeral when the reply is private, and no pings from mentions. */
export interface ReplyMessage {
  embeds: APIEmbed[];
  flags?: number;
  allowed_mentions: { parse: [] };
}

export function renderEmbed(reply: Reply): ReplyMessage {
  const embed: APIEmbed = { title: clip(reply.title, MAX_TITLE), color: COLORS[reply.kind] };
  if (reply.lines.length > 0) embed.description = clip(reply.lines.join("\n"), MAX_DESCRIPTION);
  if (reply.fields?.length) {
    embed.fields = reply.fields.slice(0, MAX_FIELDS).map((f) => ({
      name: clip(f.name, MAX_FIELD_NAME),
      value: clip(f.value, MAX_FIELD_VALUE),
      inline: true,
    }));
  }
  return {
    embeds: [embed],
    ...(reply.visibility === "ephemeral" ? { flags: MessageFlags.Ephemeral } : {}),
    allowed_mentions: { parse: [] },
  };
}

export const internalErrorReply: Reply = {
  visibility: "ephemeral",
  kind: "error",
  title: "Tally hit an internal error",
  lines: ["Nothing is known to have changed. Check `/points balance` before trying again."],
};

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
