import type { Currency, Database } from "@tally/db";
import type { Subject, WriteContext } from "../context.ts";
import { TallyError } from "../errors.ts";
import { claimKey, requestHash, storeResult } from "../idempotency.ts";
import { newId } from "../ids.ts";
import { inTransaction } from "../transaction.ts";
import { subjectNotFound } from "./adjust-balance.ts";
import { applyDeltas } from "./apply-deltas.ts";
import { type BalanceChange, replayedChange, type StoredChange, storeChange } from "./balance-change.ts";
import { lockSubjects } from "./lock-subjects.ts";

export interface TransferInput {
  from: Subject;
  to: Subject;
  currency: Currency;
  /** Minor units, positive. */
  amount: bigint;
  description?: string | null | undefined;
}

export interface Transfer {
  from: BalanceChange;
  to: BalanceChange;
  replayed: boolean;
}

/** Moves points between two subjects in one transaction; the receiving credential is created as a ghost if unknown. */
export async function transferPoints(db: Database, ctx: WriteContext, input: TransferInput): Promise<Transfer> {
  if (input.amount <= 0n) throw new TallyError("INVALID_AMOUNT", "A transfer amount must be positive.");
  const key = ctx.idempotencyKey;
  const hash = requestHash("transfer", { ...input, currency: input.currency.id });
  return inTransaction(db, async (tx) => {
    if (key) {
      const stored = await claimKey<{ from: StoredChange; to: StoredChange }>(tx, ctx.realmId, key, hash);
      if (stored) return { from: replayedChange(stored.from), to: replayedChange(stored.to), replayed: true };
    }
    const [from, to] = await lockSubjects(tx, ctx.realmId, [
      { subject: input.from, create: false },
      { subject: input.to, create: true },
    ]);
    if (!from) throw subjectNotFound(input.from);
    if (!to) throw subjectNotFound(input.to);
    if (from.accountId === to.accountId) throw new TallyError("VALIDATION", "Cannot transfer to the same account.");
    // The legs share an operation id so that a reversal finds and undoes both.
    const common = {
      currency: input.currency,
      kind: "transfer" as const,
      description: input.description,
      operationId: newId(),
    };
    const [debit, credit] = await applyDeltas(tx, ctx, [
      {
        ...common,
        accountId: from.accountId,
        credentialId: from.credentialId,
        linked: from.linked,
        delta: -input.amount,
      },
      { ...common, accountId: to.accountId, credentialId: to.credentialId, linked: to.linked, delta: input.amount },
    ]);
    if (!debit || !credit) throw new Error("transfer produced no entries");
    if (key) await storeResult(tx, ctx.realmId, key, { from: storeChange(debit), to: storeChange(credit) });
    return { from: debit, to: credit, replayed: false };
  });
}
