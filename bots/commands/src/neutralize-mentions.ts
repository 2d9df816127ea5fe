import type { Invocation } from "./contract.ts";

// Slack markup as it arrives in escaped command text: <@U1|ada>, <!here>, <!subteam^S1|@devs>, <#C1|general>,
// <https://example.com|example.com>. Anything else with angle brackets is left for the renderer to escape.
const SLACK_MARKUP = /<(?:([@#!])([^<>|\s]+)|([a-z][a-z\d+.-]*:[^<>|\s]+))(?:\|([^<>]*))?>/gi;
const BROADCASTS = new Set(["here", "channel", "everyone"]);

/**
 * Text a person wrote (a reason, a name), made safe to repeat in a reply on `platform`: it reads as they saw it but
 * notifies nobody. Discord replies turn pings off as a whole (`allowed_mentions`), so only Slack needs this: there
 * every `<@U…>`, `<!here>` or `<!subteam^…>` in a posted message notifies, so each becomes its plain label.
 */
export function neutralizeMentions(platform: Invocation["platform"], text: string): string {
  if (platform !== "slack") return text;
  return text.replace(SLACK_MARKUP, (_all, sigil: string | undefined, id: string, link: string, label?: string) => {
    if (link) return label || link;
    if (sigil === "!") {
      if (BROADCASTS.has(id.toLowerCase())) return `@${id}`;
      return label || `@${id.replace(/^subteam\^/i, "")}`;
    }
    if (label) return label.startsWith(sigil ?? "") ? label : `${sigil}${label}`;
    return `${sigil}${id}`;
  });
}
