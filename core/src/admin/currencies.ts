import { type Currency, currencies, type Database, realms } from "@tally/db";
import { and, asc, eq } from "drizzle-orm";
import { MAX_SCALE } from "../amounts.ts";
import { TallyError } from "../errors.ts";
import { claimKey, requestHash, storeResult } from "../idempotency.ts";
import { newId } from "../ids.ts";
import { pgCode } from "../transaction.ts";

export interface NewCurrency {
  name: string;
  emoji?: string | null | undefined;
  isDefault?: boolean | undefined;
  allowNegative?: boolean | undefined;
  scale?: number | undefined;
}

/**
 * Creates a realm point. With an idempotency key, a retry of the same request answers the stored currency
 * (`replayed: true`) instead of a duplicate-name CONFLICT.
 */
export async function createCurrency(
  db: Database,
  realmId: string,
  input: NewCurrency,
  idempotencyKey?: string,
): Promise<Currency & { replayed: boolean }> {
  const name = input.name.trim();
  if (!name || name.length > 64) throw new TallyError("VALIDATION", "A currency name is 1-64 characters.");
  const scale = input.scale ?? 0;
  if (!Number.isInteger(scale) || scale < 0 || scale > MAX_SCALE) {
    throw new TallyError("VALIDATION", `A currency scale is a whole number from 0 to ${MAX_SCALE}.`);
  }
  try {
    return await db.transaction(async (tx) => {
      if (idempotencyKey) {
        const stored = await claimKey<Currency>(tx, realmId, idempotencyKey, requestHash("create-currency", input));
        if (stored) return { ...stored, createdAt: new Date(stored.createdAt), replayed: true };
      }
      if (input.isDefault) {
        // One default switch per realm at a time: without this, two concurrent ones both clear the old default and
        // the second insert breaks the one-default index. NO KEY UPDATE leaves inserts that reference the realm alone.
        await tx.select({ id: realms.id }).from(realms).where(eq(realms.id, realmId)).for("no key update");
        await tx
          .update(currencies)
          .set({ isDefault: false })
          .where(and(eq(currencies.realmId, realmId), eq(currencies.isDefault, true)));
      }
      const [currency] = await tx
        .insert(currencies)
        .values({
          id: newId(),
          realmId,
          name,
          emoji: input.emoji ?? null,
          isDefault: input.isDefault ?? false,
          allowNegative: input.allowNegative ?? false,
          scale,
        })
        .returning();
      if (!currency) throw new Error("currency insert returned nothing");
      if (idempotencyKey) await storeResult(tx, realmId, idempotencyKey, currency);
      return { ...currency, replayed: false };
    });
  } catch (error) {
    if (pgCode(error) === "23505") throw new TallyError("CONFLICT", `A currency named "${name}" already exists.`);
    throw error;
  }
}

/**
 * Awaited here on purpose: a drizzle query is a lazy thenable that runs again every time it is awaited, so a caller
 * that keeps the returned value (the balance service's cache does) must get a settled promise, not the query.
 */
export async function listCurrencies(db: Database, realmId: string): Promise<Currency[]> {
  return await db.select().from(currencies).where(eq(currencies.realmId, realmId)).orderBy(asc(currencies.createdAt));
}
