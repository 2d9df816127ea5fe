import type { RespondArguments, types } from "@slack/bolt";
import type { Reply } from "@tally/bot-commands";

const ICONS: Record<Reply["kind"], string> = {
  success: ":white_check_mark:",
  error: ":warning:",
  info: ":information_source:",
};
// Slack caps: 3000 characters per section text, 2000 per field, 10 fields per section.
const MAX_TEXT = 3000;
const MAX_FIELD = 2000;
const FIELDS_PER_SECTION = 10;

/**
 * A Reply as a Block Kit message for `respond()`: public replies go to the channel, everything else only to the
 * person who typed the command. `text` is the notification and screen-reader fallback.
 */
export function renderReply(reply: Reply): RespondArguments & { text: string; blocks: types.SectionBlock[] } {
  const blocks: types.SectionBlock[] = [section(`${ICONS[reply.kind]} *${mrkdwn(reply.title)}*`)];
  if (reply.lines.length > 0) blocks.push(section(reply.lines.map(mrkdwn).join("\n")));
  const fields = reply.fields ?? [];
  for (let i = 0; i < fields.length; i += FIELDS_PER_SECTION) {
    blocks.push({
      type: "section",
      fields: fields
        .slice(i, i + FIELDS_PER_SECTION)
        .map((f) => markdownText(clip(`*${mrkdwn(f.name)}*\n${mrkdwn(f.value)}`, MAX_FIELD))),
    });
  }
  return {
    response_type: reply.visibility === "public" ? "in_channel" : "ephemeral",
    text: clip([reply.title, ...reply.lines].map(plain).join("\n"), MAX_TEXT),
    blocks,
  };
}

// verbatim: Slack would otherwise turn bare channel names, URLs and "certain mentions" in the text into links.
function section(text: string): types.SectionBlock {
  return { type: "section", text: markdownText(clip(text, MAX_TEXT)) };
}

function markdownText(text: string): types.MrkdwnElement {
  return { type: "mrkdwn", text, verbatim: true };
}

/**
 * The markup that passes through: a bare user mention, the form Tally writes for the people a reply is about
 * (text people wrote reaches the reply neutralised by bots/commands), and a date token, which Slack shows in the
 * reader's own time zone and which notifies nobody. Everything else, `<!here>`, `<!channel>`,
 * `<!subteam^…>` and labelled mentions included, is escaped into text that notifies nobody.
 */
const TALLY_MENTION = /(<@[UW][A-Z0-9]+>|<!date\^\d+\^[^|<>]*\|[^<>]*>)/;
// Plain "@here" is no broadcast with verbatim text, but a word joiner keeps it so under any parse mode.
const BROADCAST_WORD = /@(here|channel|everyone)\b/gi;

/** Shared replies use `**bold**`; Slack's mrkdwn bolds with single stars and needs its control characters escaped. */
export function mrkdwn(text: string): string {
  return text
    .split(TALLY_MENTION)
    .map((part, i) =>
      i % 2 === 1
        ? part
        : escapeControl(part)
            .replaceAll(BROADCAST_WORD, "@\u2060$1")
            .replaceAll(/\*\*(.+?)\*\*/g, "*$1*"),
    )
    .join("");
}

function plain(text: string): string {
  return mrkdwn(text).replaceAll(/\*(.+?)\*/g, "$1");
}

function escapeControl(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
