import type { BalanceService } from "@tally/core";
import { refuse, refuseNonManager } from "./check-transfer.ts";
import type { Invocation, PointsCommand, Reply, Target } from "./contract.ts";
import { quantity, typedQuantity } from "./format-quantity.ts";
import { neutralizeMentions } from "./neutralize-mentions.ts";
import { groupLabel, memberSubject } from "./resolve-target.ts";

export const DEFAULT_BULK_MAX = 1000;

type GroupGive = Extract<PointsCommand, { name: "give" | "take" | "tip" }> & {
  target: Extract<Target, { kind: "group" }>;
};

/**
 * `/points give @group N`: one all-or-nothing core batch crediting each member the platform listed (bots already left
 * out; the giver counts only as a member), under the command's idempotency key so a redelivery applies once.
 */
export async function giveToGroup(core: BalanceService, inv: Invocation, command: GroupGive): Promise<Reply> {
  const label = groupLabel(command.target);
  if (command.name !== "give") {
    return refuse(
      `Only give works with a ${inv.platform === "discord" ? "role" : "user group"}`,
      `\`/points ${command.name}\` moves points for one person at a time; name a single member.`,
    );
  }
  if (!inv.invoker.isManager) {
    return refuseNonManager(inv, "give", "To share your own points, use `/points tip` with one person.");
  }
  const members = [...new Set(inv.groupMembers ?? [])];
  const cap = inv.bulkMax ?? DEFAULT_BULK_MAX;
  if (members.length === 0) {
    return refuse(`${label} has no members to give to`, "Bots are left out; nobody else is in it.");
  }
  if (members.length > cap) {
    return refuse(
      `${label} is too large for one give`,
      `It has more than ${cap} members; one give reaches at most ${cap} (TALLY_BULK_MAX). Nothing changed.`,
      "Give to a smaller role or group, or raise TALLY_BULK_MAX.",
    );
  }
  const cur = await core.currency(inv.realmId, command.currencyId);
  const result = await core.batch(
    {
      realmId: inv.realmId,
      initiator: { type: inv.platform, id: inv.invoker.id },
      via: inv.platform,
      idempotencyKey: inv.idempotencyKey,
    },
    members.map((id) => ({
      subject: memberSubject(inv.platform, id),
      amount: command.amount,
      currencyId: cur.id,
      description: command.reason ?? null,
    })),
  );
  const amount = typedQuantity(command.amount, cur);
  const reason = command.reason ? neutralizeMentions(inv.platform, command.reason) : undefined;
  const total = quantity(BigInt(command.amount) * BigInt(members.length) * 10n ** BigInt(cur.scale), cur);
  return {
    visibility: "public",
    kind: "success",
    title: "Points given to a group",
    lines: [
      `<@${inv.invoker.id}> gave ${amount} to ${members.length} ${members.length === 1 ? "member" : "members"} of ${label}${reason ? ` for "${reason}"` : ""}.`,
      `${total} in all, in one change: everyone got theirs or nobody did.`,
      ...(result.replayed
        ? ["(This command was already applied; this is its original result, nothing changed twice.)"]
        : []),
    ],
    fields: [
      { name: "Group", value: label },
      { name: "Members", value: String(members.length) },
      { name: "Each", value: amount },
    ],
  };
}
