import { type BalanceService, normalizeIdentifier, type Subject, TallyError } from "@tally/core";
import type { Invocation, Target } from "./contract.ts";

/** A Slack user is the credential custom/slack/<user id>; a Discord user is their discord-id. */
export function memberSubject(platform: Invocation["platform"], id: string): Subject {
  return platform === "discord"
    ? { kind: "credential", identifier: normalizeIdentifier("discord-id", id) }
    : { kind: "credential", identifier: normalizeIdentifier("custom", id, "slack") };
}

/** The core Subject a chat target stands for; throws VALIDATION (with the fix) for a malformed id or address. */
export function targetSubject(target: Target): Subject {
  switch (target.kind) {
    case "member":
      return memberSubject(target.platform, target.id);
    case "discord":
      return { kind: "credential", identifier: normalizeIdentifier("discord-id", target.id) };
    case "email":
      return { kind: "credential", identifier: normalizeIdentifier("email", target.address) };
    case "user":
      return { kind: "user", userId: target.userId };
    case "group":
      throw new TallyError("VALIDATION", "A role or user group has no balance of its own: name one person.");
  }
}

/**
 * How a target reads in a reply on `platform`: a mention where the platform renders one (`<@id>` works on both
 * Discord and Slack), otherwise the explicit form the person typed.
 */
export function targetLabel(platform: Invocation["platform"], target: Target): string {
  switch (target.kind) {
    case "member":
      return target.platform === platform ? `<@${target.id}>` : `${target.platform}:${target.id}`;
    case "discord":
      return platform === "discord" ? `<@${target.id}>` : `discord:${target.id}`;
    case "email":
      return `email:${target.address.trim().toLowerCase()}`;
    case "user":
      return `user:${target.userId}`;
    case "group":
      return groupLabel(target);
  }
}

/** A role or user group as a reply names it without pinging its members. */
export function groupLabel(target: Extract<Target, { kind: "group" }>): string {
  if (target.name) return target.name.startsWith("@") ? target.name : `@${target.name}`;
  return target.platform === "discord" ? `role ${target.id}` : `group ${target.id}`;
}

export function sameSubject(a: Subject, b: Subject): boolean {
  if (a.kind === "credential" && b.kind === "credential") {
    const x = a.identifier;
    const y = b.identifier;
    return x.type === y.type && x.source === y.source && x.value === y.value;
  }
  if (a.kind === "user" && b.kind === "user") return a.userId === b.userId;
  if (a.kind === "account" && b.kind === "account") return a.accountId === b.accountId;
  return false;
}

/**
 * True when both subjects already resolve to one account: a member whose email or user id is linked to their chat
 * identity must not gift themselves through the other name.
 */
export async function sameAccount(core: BalanceService, realmId: string, a: Subject, b: Subject): Promise<boolean> {
  return sameSubject(a, b) || core.sameAccount(realmId, a, b);
}
