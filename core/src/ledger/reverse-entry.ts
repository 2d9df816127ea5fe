import { currencies, type Database, type LedgerEntry, ledgerEntries, queryRows } from "@tally/db";
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { WriteContext } from "../context.ts";
import { TallyError } from "../errors.ts";
import { claimKey, requestHash, storeResult } from "../idempotency.ts";
import { newId } from "../ids.ts";
import { inTransaction, pgCode } from "../transaction.ts";
import { applyDeltas } from "./apply-deltas.ts";
import { type StoredChange, storeChange } from "./balance-change.ts";
import { lockCredentials } from "./lock-subjects.ts";

export interface Reversal {
  /** The reversal of the entry asked for. */
  entry: LedgerEntry;
  /** Every reversal written: one, or both legs of a transfer. */
  entries: LedgerEntry[];
  /** Minor units on `entry`'s account after the reversal. */
  balance: bigint;
  replayed: boolean;
}

const ENTRY_ID = /^[0-9]{1,18}$/;

/**
 * Undoes a ledger entry by appending `reversal` entries that move the exact opposite amounts, at most once per entry
 * (a unique index on `reverses_entry_id` settles concurrent attempts: ALREADY_REVERSED). A transfer is reversed whole,
 * both legs in one transaction. The points are taken back from where they are now: a credential's current account,
 * so a credit to a ghost that was linked since is taken from the member. The currency's overdraft rule applies: a
 * credit already spent is INSUFFICIENT_BALANCE and nothing changes.
 */
export async function reverseEntry(
  db: Database,
  ctx: WriteContext,
  entryId: string,
  input: { description?: string | null | undefined } = {},
): Promise<Reversal> {
  if (!ENTRY_ID.test(entryId)) throw notFound(entryId);
  const key = ctx.idempotencyKey;
  const description = input.description ?? null;
  const hash = requestHash("reverse", { entryId, description });
  try {
    return await inTransaction(db, async (tx) => {
      if (key) {
        const stored = await claimKey<{ changes: StoredChange[]; index: number }>(tx, ctx.realmId, key, hash);
        if (stored) return { ...(await readBack(tx, stored.changes, stored.index)), replayed: true };
      }
      const [original] = await tx
        .select()
        .from(ledgerEntries)
        .where(and(eq(ledgerEntries.id, BigInt(entryId)), eq(ledgerEntries.realmId, ctx.realmId)));
      if (!original) throw notFound(entryId);
      if (original.kind === "reversal") {
        throw new TallyError("VALIDATION", `Entry ${entryId} is itself a reversal and cannot be reversed.`);
      }
      if (original.kind === "link") {
        throw new TallyError(
          "VALIDATION",
          `Entry ${entryId} moved a ghost's points on linking and cannot be reversed.`,
        );
      }
      // Lock the entries being reversed (in id order) before anything else, so concurrent reversals of one entry, or
      // of two legs of one transfer, queue here and the later ones see the earlier one's reversal.
      const legs = await tx
        .select()
        .from(ledgerEntries)
        .where(
          and(
            eq(ledgerEntries.realmId, ctx.realmId),
            original.operationId
              ? eq(ledgerEntries.operationId, original.operationId)
              : eq(ledgerEntries.id, original.id),
          ),
        )
        .orderBy(asc(ledgerEntries.id))
        .for("update");
      await refuseIfReversed(tx, legs);
      const [currency] = await tx.select().from(currencies).where(eq(currencies.id, original.currencyId));
      if (!currency) throw new Error(`entry ${entryId} names an unknown currency`);
      // The lock protocol: credentials first (their current account is where the points are), then balances.
      const holders = await lockCredentials(
        tx,
        legs.flatMap((leg) => (leg.credentialId ? [leg.credentialId] : [])),
      );
      const operationId = legs.length > 1 ? newId() : undefined;
      const changes = await applyDeltas(
        tx,
        ctx,
        legs.map((leg) => {
          const holder = leg.credentialId ? holders.get(leg.credentialId) : undefined;
          return {
            accountId: holder?.accountId ?? leg.accountId,
            credentialId: leg.credentialId,
            linked: holder?.linked ?? true,
            currency,
            delta: -leg.delta,
            kind: "reversal" as const,
            description,
            reversesEntryId: leg.id,
            operationId,
          };
        }),
      );
      const index = legs.findIndex((leg) => leg.id === original.id);
      if (key) await storeResult(tx, ctx.realmId, key, { changes: changes.map(storeChange), index });
      return { ...(await readBack(tx, changes.map(storeChange), index)), replayed: false };
    });
  } catch (error) {
    // Backstop for the lock above: the unique index on reverses_entry_id refused a second reversal of an entry.
    if (pgCode(error) === "23505") {
      throw new TallyError("ALREADY_REVERSED", `Entry ${entryId} was already reversed.`, { entryId });
    }
    throw error;
  }
}

async function refuseIfReversed(tx: Database, legs: LedgerEntry[]): Promise<void> {
  const [done] = await tx
    .select({ id: ledgerEntries.id, reverses: ledgerEntries.reversesEntryId })
    .from(ledgerEntries)
    .where(
      inArray(
        ledgerEntries.reversesEntryId,
        legs.map((leg) => leg.id),
      ),
    )
    .limit(1);
  if (done) {
    throw new TallyError("ALREADY_REVERSED", `Entry ${done.reverses} was already reversed by entry ${done.id}.`, {
      entryId: String(done.reverses),
      reversedBy: String(done.id),
    });
  }
}

async function readBack(tx: Database, changes: StoredChange[], index: number): Promise<Omit<Reversal, "replayed">> {
  const ids = changes.map((c) => BigInt(c.entryId));
  const entries = await tx
    .select()
    .from(ledgerEntries)
    .where(inArray(ledgerEntries.id, ids))
    .orderBy(asc(ledgerEntries.id));
  const mine = changes[index];
  const entry = entries.find((e) => String(e.id) === mine?.entryId);
  if (!mine || !entry) throw new Error("reversal entries missing after write");
  return { entry, entries, balance: BigInt(mine.balance) };
}

const notFound = (entryId: string) =>
  new TallyError("NOT_FOUND", `No ledger entry "${entryId}" in this realm.`, { subject: "entry" });

/**
 * The initiator's newest give, take or transfer in a realm that is not reversed yet: what `/points undo` without an
 * id undoes. Walks the realm's entries newest first, which stays short for someone who acts now and then.
 */
export async function lastEntryBy(
  db: Database,
  realmId: string,
  initiator: { type: LedgerEntry["initiatorType"]; id: string },
): Promise<LedgerEntry | undefined> {
  const [row] = await queryRows<{ id: string }>(
    db,
    sql`SELECT e.id::text FROM ledger_entries e WHERE e.realm_id = ${realmId} AND e.initiator_type = ${initiator.type}
        AND e.initiator_id = ${initiator.id} AND e.kind IN ('adjust', 'transfer')
        AND NOT EXISTS (SELECT 1 FROM ledger_entries r WHERE r.reverses_entry_id = e.id)
      ORDER BY e.id DESC LIMIT 1`,
  );
  if (!row) return undefined;
  const [entry] = await db
    .select()
    .from(ledgerEntries)
    .where(eq(ledgerEntries.id, BigInt(row.id)));
  return entry;
}
