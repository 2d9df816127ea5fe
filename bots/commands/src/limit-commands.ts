import type { BalanceService } from "@tally/core";
import type { Invocation, Reply } from "./contract.ts";
import { formatWhen } from "./format-when.ts";

const WINDOW_MS = 60_000;
const MAX_TRACKED = 50_000;

// Per process: each member's recent command times, by realm, platform and user. A member who floods one process
// is held back there; the API's shared rate limit covers deployments with many processes.
const recent = new Map<string, number[]>();

/**
 * The realm's `commandsPerMinute` rule (off unless set): undefined when the member may run this command, else the
 * refusal that says when they may run the next. Help is never limited.
 */
export async function limitCommands(core: BalanceService, inv: Invocation): Promise<Reply | undefined> {
  if (inv.command.name === "help") return undefined;
  const { commandsPerMinute: limit } = await core.givingRules(inv.realmId);
  if (limit === null) return undefined;
  const now = core.now().getTime();
  const key = `${inv.realmId}\u0000${inv.platform}\u0000${inv.invoker.id}`;
  const times = (recent.get(key) ?? []).filter((t) => t > now - WINDOW_MS);
  if (times.length >= limit) {
    recent.set(key, times);
    const retryAt = new Date((times[0] as number) + WINDOW_MS);
    return {
      visibility: "ephemeral",
      kind: "error",
      title: "Slow down",
      lines: [
        `This realm allows ${limit} /points commands a minute per member.`,
        `Try again ${formatWhen(inv.platform, retryAt)}.`,
      ],
    };
  }
  times.push(now);
  recent.delete(key);
  recent.set(key, times);
  if (recent.size > MAX_TRACKED) recent.delete(recent.keys().next().value as string);
  return undefined;
}
