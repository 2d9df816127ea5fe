export { API_KEY_REVOKED_CHANNEL } from "./admin/api-keys.ts";
export * from "./admin/bot-bindings.ts";
export type { CurrencyPatch } from "./admin/currencies.ts";
export * from "./admin/lease-rate-limit.ts";
export type { CredentialRow } from "./admin/manage-credentials.ts";
export { MAX_SEARCH_VALUES, type MemberProfile, type MemberSearchType, memberSearchTypes } from "./admin/members.ts";
export { isTimeZone, type RealmSettings } from "./admin/realms.ts";
export type { BindingSettingsPatch } from "./admin/update-binding-settings.ts";
export * from "./amounts.ts";
export * from "./balance-service.ts";
export * from "./context.ts";
export { type DashboardIdentity, SESSION_IDLE_MS, SIGN_IN_LINK_MS } from "./dashboard/sign-in-links.ts";
export * from "./errors.ts";
export * from "./export/index.ts";
export type { AllowanceState, GiftResult } from "./giving/give-gift.ts";
export type { GivingRules } from "./giving/giving-rules.ts";
export { lastLocalDays, localDayStart, periodBounds } from "./giving/period-bounds.ts";
export type { ReactionInput, ReactionKey, ReactionOutcome } from "./giving/react-points.ts";
export type { AllowanceInput } from "./giving/set-allowance.ts";
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
export { isPeriod, type Period, periods } from "./queries/period-leaderboard.ts";
export { ANONYMOUS_LABEL, type PublicCurrency, type PublicLeaderboard } from "./queries/public-leaderboard.ts";
export type { LedgerFilter, LedgerRow } from "./queries/search-ledger.ts";
export type { RealmSummary } from "./queries/summarize-realm.ts";
export { inRequestScope } from "./read-routing.ts";
export { isDatabaseUnavailable } from "./transaction.ts";
export * from "./webhooks/index.ts";
