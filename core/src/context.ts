import type { InitiatorType, Via } from "@tally/db";
import type { Identifier } from "./identities.ts";

/** Who asked for a write and through which door; recorded on every ledger entry. */
export interface WriteContext {
  realmId: string;
  initiator: { type: InitiatorType; id: string };
  via: Via;
  /** Same key and same request replays the first result; a different request with it is IDEMPOTENCY_CONFLICT. */
  idempotencyKey?: string | undefined;
}

/** Whose balance: a credential (created as a ghost on first credit), a credit-style user, or an account. */
export type Subject =
  | { kind: "credential"; identifier: Identifier }
  | { kind: "user"; userId: string }
  | { kind: "account"; accountId: string };
