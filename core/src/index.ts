export * from "./admin/bot-bindings.ts";
export * from "./amounts.ts";
export * from "./balance-service.ts";
export * from "./context.ts";
export * from "./errors.ts";
export * from "./export/index.ts";
export type { AllowanceState, GiftResult } from "./giving/give-gift.ts";
export type { GivingRules } from "./giving/giving-rules.ts";
export { periodBounds } from "./giving/period-bounds.ts";
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
export type { LedgerEvent, LedgerObserver } from "./observe.ts";
export type { AuditProblem, AuditReport } from "./queries/audit-ledger.ts";
export type { HistoryEntry, Page } from "./queries/history.ts";
export type { LeaderboardRow } from "./queries/leaderboard.ts";
export { isDatabaseUnavailable } from "./transaction.ts";
export * from "./webhooks/index.ts";
