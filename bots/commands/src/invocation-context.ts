import type { Subject, WriteContext } from "@tally/core";
import type { Invocation } from "./contract.ts";
import { neutralizeMentions } from "./neutralize-mentions.ts";
import { memberSubject } from "./resolve-target.ts";

/** The write context of a chat command: its realm, who ran it, the door, and its delivery id as idempotency key. */
export function context(inv: Invocation): WriteContext {
  return {
    realmId: inv.realmId,
    initiator: { type: inv.platform, id: inv.invoker.id },
    via: inv.platform,
    idempotencyKey: inv.idempotencyKey,
  };
}

export function invokerSubject(inv: Invocation): Subject {
  return memberSubject(inv.platform, inv.invoker.id);
}

export function invokerLabel(inv: Invocation): string {
  return `<@${inv.invoker.id}>`;
}

/** The reason as the reply repeats it: what the person wrote, pinging nobody. */
export function shownReason(inv: Invocation, reason: string | undefined): string | undefined {
  return reason ? neutralizeMentions(inv.platform, reason) : undefined;
}

export function replayNote(replayed: boolean): string[] {
  return replayed ? ["(This command was already applied; this is its original result, nothing changed twice.)"] : [];
}
