import { type Currency, type Database, type EntryKind, queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { MAX_MINOR } from "../amounts.ts";
import type { WriteContext } from "../context.ts";
import { TallyError } from "../errors.ts";
import { type BalanceChange, changeFromRow } from "./balance-change.ts";
import { type DeltaRow, deltaStatement, resolvedTarget } from "./delta-statement.ts";

export interface PlannedDelta {
  accountId: string;
  credentialId: string | null;
  linked: boolean;
  currency: Currency;
  delta: bigint;
  kind: EntryKind;
  description?: string | null | undefined;
  reversesEntryId?: bigint | undefined;
  operationId?: string | undefined;
}

/**
 * Applies several deltas inside the caller's transaction, all or nothing. Rows are touched in one fixed order
 * (account, currency; credits before debits on the same row) so two transactions never wait on each other in a cycle.
 * Results come back in the caller's order.
 */
export async function applyDeltas(tx: Database, ctx: WriteContext, planned: PlannedDelta[]): Promise<BalanceChange[]> {
  const order = planned
    .map((p, index) => ({ p, index }))
    .sort(
      (a, b) =>
        cmp(a.p.accountId, b.p.accountId) ||
        cmp(a.p.currency.id, b.p.currency.id) ||
        (a.p.delta > b.p.delta ? -1 : a.p.delta < b.p.delta ? 1 : 0),
    );
  const results: BalanceChange[] = new Array(planned.length);
  for (const { p, index } of order) {
    const target = resolvedTarget(p);
    const [row] = await queryRows<DeltaRow>(
      tx,
      deltaStatement(target, {
        ctx,
        currency: p.currency,
        delta: p.delta,
        kind: p.kind,
        description: p.description,
        reversesEntryId: p.reversesEntryId,
        operationId: p.operationId,
      }),
    );
    if (!row) throw await refusal(tx, p, index);
    results[index] = changeFromRow(row, p.currency.id);
  }
  return results;
}

async function refusal(tx: Database, p: PlannedDelta, index: number): Promise<TallyError> {
  const [row] = await queryRows<{ balance: string | bigint }>(
    tx,
    sql`SELECT balance FROM balances WHERE account_id = ${p.accountId} AND currency_id = ${p.currency.id}`,
  );
  const balance = BigInt(row?.balance ?? 0);
  if (balance + p.delta > MAX_MINOR || balance + p.delta < -MAX_MINOR) {
    return new TallyError(
      "BALANCE_LIMIT",
      `The balance would leave the supported range of ±${MAX_MINOR} minor units.`,
      {
        index,
      },
    );
  }
  return new TallyError(
    "INSUFFICIENT_BALANCE",
    `Insufficient balance: the balance is ${balance} and the change is ${p.delta} (minor units).`,
    { index, balance, delta: p.delta },
  );
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
