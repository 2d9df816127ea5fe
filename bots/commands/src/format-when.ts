import type { Invocation } from "./contract.ts";

/**
 * A moment as each platform renders it in the reader's own time zone: Discord's `<t:…:f>` timestamp, Slack's
 * `<!date^…^…|fallback>`. The fallback and the other doors read UTC.
 */
export function formatWhen(platform: Invocation["platform"], when: Date): string {
  const seconds = Math.floor(when.getTime() / 1000);
  const utc = `${when.toISOString().slice(0, 16).replace("T", " ")} UTC`;
  return platform === "discord"
    ? `<t:${seconds}:f> (<t:${seconds}:R>)`
    : `<!date^${seconds}^{date_short_pretty} at {time}|${utc}>`;
}
