export * from "./admin/bot-bindings.ts";
export * from "./amounts.ts";
export * from "./balance-service.ts";
export * from "./context.ts";
export { type DashboardIdentity, SESSION_IDLE_MS, SIGN_IN_LINK_MS } from "./dashboard/sign-in-links.ts";
export * from "./errors.ts";
export * from "./export/index.ts";
export {
  DEFAULT_IDEMPOTENCY_TTL_HOURS,
  pruneIdempotencyKeys,
  setIdempotencyTtlHours,
  startIdempotencyPruner,
} from "./idempotency.ts";
export * from "./identities.ts";
export type { BalanceChange } from "./ledger/balance-change.ts";
export type { LinkTarget } from "./ledger/link-credential.ts";
export type { IssuedLinkCode } from "./link-codes/issue-link-code.ts";
export { LINK_CODE_TTL_MS, normalizeLinkCode } from "./link-codes/link-code-format.ts";
export { LINK_ATTEMPTS_MAX, type RedeemResult } from "./link-codes/redeem-link-code.ts";
export type { LedgerEvent, LedgerObserver } from "./observe.ts";
export type { AuditProblem, AuditReport } from "./queries/audit-ledger.ts";
export type { AccountDescription } from "./queries/describe-account.ts";
export type { MemberDetail } from "./queries/describe-member.ts";
export type { HistoryEntry, Page } from "./queries/history.ts";
export type { LeaderboardRow } from "./queries/leaderboard.ts";
export type { LedgerFilter, LedgerRow } from "./queries/search-ledger.ts";
export type { RealmSummary } from "./queries/summarize-realm.ts";
export { isDatabaseUnavailable } from "./transaction.ts";
export * from "./webhooks/index.ts";
