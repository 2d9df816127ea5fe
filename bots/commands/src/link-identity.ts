import { type BalanceService, type Identifier, LINK_CODE_TTL_MS } from "@tally/core";
import type { Invocation, Reply } from "./contract.ts";
import { quantity } from "./format-quantity.ts";
import { memberSubject } from "./resolve-target.ts";

const PLATFORM_NAME = { discord: "Discord", slack: "Slack" } as const;

/** The invoker's own credential on the platform they typed on. */
function invokerIdentifier(inv: Invocation): Identifier {
  const subject = memberSubject(inv.platform, inv.invoker.id);
  if (subject.kind !== "credential") throw new Error("a chat member is always a credential");
  return subject.identifier;
}

/** A credential as a person reads it: `discord:<id>`, `slack:<id>`, `email:<address>`, `custom/shop:<id>`. */
export function identityLabel(c: { type: string; source: string; value: string }): string {
  if (c.type === "discord-id") return `discord:${c.value}`;
  if (c.type === "custom") return c.source === "slack" ? `slack:${c.value}` : `custom/${c.source}:${c.value}`;
  return `${c.type}:${c.value}`;
}

/**
 * `/points link` without a code: a private one-time code for the other platform. With a code: joins the code's
 * identity and the invoker's into one account (one-way, so the reply says it cannot be undone).
 */
export async function linkIdentity(core: BalanceService, inv: Invocation, code: string | undefined): Promise<Reply> {
  const me = invokerIdentifier(inv);
  const other = inv.platform === "discord" ? "Slack" : "Discord";
  if (!code) {
    const issued = await core.issueLinkCode(inv.realmId, me);
    const minutes = Math.round(LINK_CODE_TTL_MS / 60_000);
    return {
      visibility: "ephemeral",
      kind: "info",
      title: "Your link code",
      lines: [
        `**${issued.code}**`,
        `On ${other} (or in an app that links to Tally), type \`/points link ${issued.code}\` within ${minutes} minutes to join both accounts into one. The code works once; keep it private.`,
        "Linking is one-way: it cannot be undone, and there is no `/points unlink`.",
      ],
    };
  }
  const result = await core.redeemLinkCode(
    {
      realmId: inv.realmId,
      initiator: { type: inv.platform, id: inv.invoker.id },
      via: inv.platform,
      idempotencyKey: inv.idempotencyKey,
    },
    { code, redeemer: me },
  );
  const cur = await core.currency(inv.realmId);
  const state = await core.balanceOf(inv.realmId, { kind: "account", accountId: result.accountId }, cur.id);
  return {
    visibility: "ephemeral",
    kind: "success",
    title: result.alreadyLinked ? "Already linked" : "Accounts linked",
    lines: [
      result.alreadyLinked
        ? `Your ${PLATFORM_NAME[inv.platform]} identity and ${identityLabel(result.issuer)} already share one account; nothing changed.`
        : `Your ${PLATFORM_NAME[inv.platform]} identity and ${identityLabel(result.issuer)} now share one account.`,
      `Balance: **${quantity(state.balance, cur)}**. \`/points whoami\` lists every identity and balance.`,
      ...(result.replayed ? ["(This command was already applied; this is its original result.)"] : []),
    ],
  };
}

/** `/points whoami`: the invoker's account, its identities on every platform, and its balances. */
export async function whoami(core: BalanceService, inv: Invocation): Promise<Reply> {
  const me = invokerIdentifier(inv);
  const [account, currencies] = await Promise.all([
    core.describeAccount(inv.realmId, { kind: "credential", identifier: me }),
    core.currencies(inv.realmId),
  ]);
  if (!account) {
    return {
      visibility: "ephemeral",
      kind: "info",
      title: "Who you are",
      lines: [
        `${identityLabel(me)}: no points yet and no linked identities.`,
        "`/points link` gives you a code to join this account with your other platform.",
      ],
    };
  }
  const held = currencies
    .map((c) => ({ c, balance: account.balances.find((b) => b.currencyId === c.id)?.balance ?? 0n }))
    .filter(({ c, balance }) => balance !== 0n || c.isDefault);
  return {
    visibility: "ephemeral",
    kind: "info",
    title: "Who you are",
    lines: [
      account.linked
        ? `A member account${account.userId ? ` (user_id ${account.userId})` : ""} with ${account.credentials.length} ${account.credentials.length === 1 ? "identity" : "identities"}.`
        : "Not linked yet: `/points link` joins this account with your other platform.",
      `Identities: ${account.credentials.map(identityLabel).join(", ")}`,
      `Balances: ${held.map(({ c, balance }) => `**${quantity(balance, c)}**`).join(", ")}`,
    ],
    fields: [
      { name: "Identities", value: account.credentials.map(identityLabel).join("\n") },
      { name: "Balances", value: held.map(({ c, balance }) => quantity(balance, c)).join("\n") },
    ],
  };
}
