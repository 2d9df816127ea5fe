import type { Currency, Database } from "@tally/db";
import type { Subject, WriteContext } from "../context.ts";
import { TallyError } from "../errors.ts";
import { claimKey, requestHash, storeResult } from "../idempotency.ts";
import { inTransaction } from "../transaction.ts";
import { subjectNotFound } from "./adjust-balance.ts";
import { applyDeltas, type PlannedDelta } from "./apply-deltas.ts";
import { type BalanceChange, replayedChange, type StoredChange, storeChange } from "./balance-change.ts";
import { lockSubjects } from "./lock-subjects.ts";

export interface BatchItem {
  subject: Subject;
  currency: Currency;
  delta: bigint;
  description?: string | null | undefined;
}

export const MAX_BATCH = 500;

/** Applies every item or none: one refusal rolls the whole batch back and names the item (`details.index`). */
export async function applyBatch(
  db: Database,
  ctx: WriteContext,
  items: BatchItem[],
): Promise<{ changes: BalanceChange[]; replayed: boolean }> {
  if (items.length === 0) throw new TallyError("VALIDATION", "A batch needs at least one item.");
  if (items.length > MAX_BATCH) throw new TallyError("VALIDATION", `A batch holds at most ${MAX_BATCH} items.`);
  const key = ctx.idempotencyKey;
  const hash = requestHash(
    "batch",
    items.map((i) => ({ ...i, currency: i.currency.id })),
  );
  return inTransaction(db, async (tx) => {
    if (key) {
      const stored = await claimKey<StoredChange[]>(tx, ctx.realmId, key, hash);
      if (stored) return { changes: stored.map(replayedChange), replayed: true };
    }
    const holders = await lockSubjects(
      tx,
      ctx.realmId,
      items.map((item) => ({ subject: item.subject, create: item.delta > 0n })),
    );
    const planned: PlannedDelta[] = [];
    for (const [index, item] of items.entries()) {
      const holder = holders[index];
      if (!holder) {
        const error = subjectNotFound(item.subject);
        throw new TallyError(error.code, `Item ${index}: ${error.message}`, { index });
      }
      planned.push({
        ...holder,
        currency: item.currency,
        delta: item.delta,
        kind: "adjust",
        description: item.description,
      });
    }
    const changes = await applyDeltas(tx, ctx, planned);
    if (key) await storeResult(tx, ctx.realmId, key, changes.map(storeChange));
    return { changes, replayed: false };
  });
}
