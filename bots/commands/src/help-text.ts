import type { Invocation } from "./contract.ts";

/** The `/points help` text, worded for the platform the person is on. */
export function helpText(platform: Invocation["platform"] = "discord"): string {
  const who = platform === "discord" ? "@member" : "@user";
  const managers =
    platform === "discord"
      ? "members with Manage Server or a manager role"
      : "workspace admins and owners, or the configured admin users";
  return [
    `**/points give ${who} <amount> [reason]** — add points (${managers})`,
    `**/points take ${who} <amount> [reason]** — remove points (${managers})`,
    `**/points give ${platform === "discord" ? "role:@Role" : "@group"} <amount> [reason]** — add points to every member of a ${platform === "discord" ? "role" : "user group"}, bots left out (${managers})`,
    `**/points tip ${who} <amount> [reason]** — move your own points to someone else`,
    `**/points thank ${who} [amount] [reason]** — give points from your allowance (1 unless you say), not your balance`,
    "**/points allowance** — what is left of your allowance to give, and when it refills",
    `**/points balance [${who}]** — show a balance (yours when nobody is named)`,
    `**/points leaderboard [${platform === "discord" ? "period" : "day|week|month|all"}]** — the top holders; by day, week or month: who received the most in it`,
    `**/points history [${who}]** — recent changes (yours when nobody is named), with their entry ids`,
    `**/points undo [entry-id]** — reverse an entry (${managers}); without an id, your own last give, take or tip`,
    "**/points link [code]** — without a code: a private one-time code (10 minutes); typed with the code on your other platform: joins both accounts into one",
    "**/points whoami** — your identities on every platform and your balances",
    `**/points dashboard** — a private one-time link to the web dashboard (${managers})`,
    "**/points help** — this text",
    "Linking is one-way: there is no /points unlink.",
    `Instead of a mention, a target can be ${platform === "discord" ? "given with the to: option as " : ""}slack:<user id>, discord:<id>, email:<address> or user:<user_id>.${
      platform === "slack" ? " Add --currency <id> to use a currency other than the default." : ""
    }`,
  ].join("\n");
}
