/**
 * Stable error codes. Each door maps every code to its own wording in one exhaustive `switch`,
 * so adding a code here fails to compile until every door handles it.
 */
export const errorCodes = [
  "NOT_FOUND",
  "INVALID_AMOUNT",
  "INSUFFICIENT_BALANCE",
  "BALANCE_LIMIT",
  "IDEMPOTENCY_CONFLICT",
  "FORBIDDEN",
  "VALIDATION",
  "CONFLICT",
  "ALREADY_REVERSED",
  /** A gift would pass the giver's allowance for the period; `details.resetsAt` says when it refills. */
  "ALLOWANCE_EXHAUSTED",
  /** A giving rule (cooldown, daily cap, account age) refused a gift for now; `details.retryAt` says when to retry. */
  "TOO_SOON",
  /** Too many attempts by one caller (link code guesses); `details.retryAfterSeconds` says when to try again. */
  "RATE_LIMITED",
] as const;
export type ErrorCode = (typeof errorCodes)[number];

/** An expected failure of a core operation: nothing was written when one is thrown. */
export class TallyError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "TallyError";
  }
}

export const isTallyError = (error: unknown): error is TallyError => error instanceof TallyError;

/** The one place a core error code becomes an HTTP status (API and dashboard alike): a new code fails to compile until it is mapped. */
export function httpStatusOf(code: ErrorCode): number {
  switch (code) {
    case "VALIDATION":
      return 400;
    case "FORBIDDEN":
      return 403;
    case "NOT_FOUND":
      return 404;
    case "CONFLICT":
    case "IDEMPOTENCY_CONFLICT":
    case "ALREADY_REVERSED":
      return 409;
    case "INVALID_AMOUNT":
    case "INSUFFICIENT_BALANCE":
    case "BALANCE_LIMIT":
    case "ALLOWANCE_EXHAUSTED":
      return 422;
    case "TOO_SOON":
    case "RATE_LIMITED":
      return 429;
    default: {
      const unmapped: never = code;
      throw new Error(`unmapped error code ${String(unmapped)}`);
    }
  }
}
