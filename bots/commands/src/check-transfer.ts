import type { Invocation, PointsCommand, Reply } from "./contract.ts";

export const MAX_REASON = 200;

export type TransferCommand = Extract<PointsCommand, { name: "give" | "take" | "tip" | "thank" }>;

export function refuse(title: string, ...lines: string[]): Reply {
  return { visibility: "ephemeral", kind: "error", title, lines };
}

/** A manager-only command from someone else: who the managers are on this platform, and what to do instead. */
export function refuseNonManager(inv: Invocation, name: string, instead: string): Reply {
  return refuse(
    "Only managers can do that",
    `\`/points ${name}\` is for ${
      inv.platform === "discord"
        ? "members with the Manage Server permission or a manager role set for this server"
        : "workspace admins and owners, or users listed in SLACK_ADMIN_USER_IDS"
    }.`,
    instead,
  );
}

/** The refusals shared by every command that moves points; undefined when the command may go ahead. */
export function checkTransfer(inv: Invocation, command: TransferCommand): Reply | undefined {
  if ((command.name === "give" || command.name === "take") && !inv.invoker.isManager) {
    return refuseNonManager(inv, command.name, "To share your own points, use `/points tip` instead.");
  }
  if (command.target.kind === "member" && command.target.isBot) {
    return refuse("Bots cannot hold points", "Pick a person instead of a bot.");
  }
  if (!Number.isFinite(command.amount) || command.amount <= 0) {
    return refuse("That amount does not work", "The amount must be a positive number, such as 10.");
  }
  if (command.reason !== undefined && command.reason.length > MAX_REASON) {
    return refuse("That reason is too long", `Keep the reason to ${MAX_REASON} characters or fewer.`);
  }
  return undefined;
}
