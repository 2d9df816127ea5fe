import { type BalanceService, SIGN_IN_LINK_MS } from "@tally/core";
import { refuse, refuseNonManager } from "./check-transfer.ts";
import type { Invocation, Reply } from "./contract.ts";

/**
 * `/points dashboard`: a private one-time link that signs a manager in to the realm's dashboard. No API key passes
 * through chat; the link works once, for 10 minutes, and only its hash is stored.
 */
export async function dashboardLink(core: BalanceService, inv: Invocation): Promise<Reply> {
  if (!inv.invoker.isManager) {
    return refuseNonManager(inv, "dashboard", "Ask a manager what the dashboard shows; `/points history` shows yours.");
  }
  if (!inv.publicUrl) {
    return refuse("The dashboard is not served here", "The operator can turn it on by setting TALLY_PUBLIC_URL.");
  }
  const token = await core.dashboard.createSignInLink({
    realmId: inv.realmId,
    method: inv.platform,
    subjectId: inv.invoker.id,
  });
  const url = `${inv.publicUrl.replace(/\/+$/, "")}/dashboard/sign-in/${token}`;
  return {
    visibility: "ephemeral",
    kind: "info",
    title: "Your dashboard link",
    lines: [
      url,
      `It signs you in once, within ${SIGN_IN_LINK_MS / 60_000} minutes. Do not share it: it opens the realm's dashboard with manager rights.`,
    ],
  };
}
