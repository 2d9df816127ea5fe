import { type Currency, currencies, type Database, queryRows, realms } from "@tally/db";
import { and, asc, eq, sql } from "drizzle-orm";
import { MAX_SCALE } from "../amounts.ts";
import { TallyError } from "../errors.ts";
import { type AllowanceInput, allowanceValues } from "../giving/set-allowance.ts";
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
        const stored = await claimKey<StoredCurrency>(
          tx,
          realmId,
          idempotencyKey,
          requestHash("create-currency", input),
        );
        if (stored) return reviveCurrency(stored);
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

/** What `PATCH …/currencies/{id}` may change; later fields (an allowance) extend this. */
export interface CurrencyPatch {
  name?: string | undefined;
  emoji?: string | null | undefined;
  scale?: number | undefined;
  allowNegative?: boolean | undefined;
  /** What each member may give away per period (`/points thank`, reactions); null removes it. */
  allowance?: AllowanceInput | null | undefined;
  /** Makes it the realm's default currency (the old default stops being one); an archived currency cannot be. */
  isDefault?: true | undefined;
}

type StoredCurrency = Omit<
  Currency,
  | "createdAt"
  | "updatedAt"
  | "archivedAt"
  | "metadata"
  | "allowanceAmount"
  | "allowancePeriod"
  | "allowanceManagersExempt"
> & {
  createdAt: string;
  updatedAt?: string;
  archivedAt?: string | null;
  metadata?: Record<string, unknown> | null;
  allowanceAmount?: string | null;
  allowancePeriod?: Currency["allowancePeriod"];
  allowanceManagersExempt?: boolean;
};
// Results stored before a currency had updatedAt, archivedAt and metadata replay as never updated nor archived.
const reviveCurrency = (s: StoredCurrency): Currency & { replayed: boolean } => ({
  ...s,
  metadata: s.metadata ?? null,
  createdAt: new Date(s.createdAt),
  updatedAt: new Date(s.updatedAt ?? s.createdAt),
  archivedAt: s.archivedAt ? new Date(s.archivedAt) : null,
  allowanceAmount: s.allowanceAmount ? BigInt(s.allowanceAmount) : null,
  allowancePeriod: s.allowancePeriod ?? null,
  allowanceManagersExempt: s.allowanceManagersExempt ?? false,
  replayed: true,
});
// JSON has no bigint: the allowance is stored as its decimal text.
const storedCurrency = (c: Currency) => ({ ...c, allowanceAmount: c.allowanceAmount?.toString() ?? null });

export async function getCurrency(db: Database, realmId: string, currencyId: string): Promise<Currency> {
  const [currency] = await db
    .select()
    .from(currencies)
    .where(and(eq(currencies.realmId, realmId), eq(currencies.id, currencyId)));
  if (!currency) throw new TallyError("NOT_FOUND", `No realm point (currency) "${currencyId}" in this realm.`);
  return currency;
}

/**
 * Changes a currency in one transaction with its row locked `FOR UPDATE`, an idempotent write. The scale may change
 * only while no entry exists: the first balance row of a currency takes a key-share lock on the currency row (its
 * foreign key), which this lock excludes, so a scale change and a first credit cannot both pass the check.
 */
export async function changeCurrency(
  db: Database,
  realmId: string,
  currencyId: string,
  operation: string,
  change: (current: Currency, tx: Database) => Promise<Partial<Currency>>,
  idempotency: { key?: string | undefined; input: unknown },
): Promise<Currency & { replayed: boolean }> {
  const hash = requestHash(operation, { currencyId, input: idempotency.input });
  try {
    return await db.transaction(async (tx) => {
      if (idempotency.key) {
        const stored = await claimKey<StoredCurrency>(tx, realmId, idempotency.key, hash);
        if (stored) return reviveCurrency(stored);
      }
      const [current] = await tx
        .select()
        .from(currencies)
        .where(and(eq(currencies.realmId, realmId), eq(currencies.id, currencyId)))
        .for("update");
      if (!current) throw new TallyError("NOT_FOUND", `No realm point (currency) "${currencyId}" in this realm.`);
      const values = await change(current, tx);
      const [updated] = await tx
        .update(currencies)
        .set({ ...values, updatedAt: new Date() })
        .where(eq(currencies.id, currencyId))
        .returning();
      if (!updated) throw new Error("currency update returned nothing");
      if (idempotency.key) await storeResult(tx, realmId, idempotency.key, storedCurrency(updated));
      return { ...updated, replayed: false };
    });
  } catch (error) {
    if (pgCode(error) === "23505") throw new TallyError("CONFLICT", "A currency with that name already exists.");
    throw error;
  }
}

/** The values a patch sets, checked against the locked row. */
export async function patchValues(tx: Database, current: Currency, patch: CurrencyPatch): Promise<Partial<Currency>> {
  const values: Partial<Currency> = {};
  if (patch.name !== undefined) {
    const name = patch.name.trim();
    if (!name || name.length > 64) throw new TallyError("VALIDATION", "A currency name is 1-64 characters.");
    values.name = name;
  }
  if (patch.emoji !== undefined) values.emoji = patch.emoji;
  if (patch.allowNegative !== undefined) values.allowNegative = patch.allowNegative;
  if (patch.scale !== undefined && patch.scale !== current.scale) {
    if (!Number.isInteger(patch.scale) || patch.scale < 0 || patch.scale > MAX_SCALE) {
      throw new TallyError("VALIDATION", `A currency scale is a whole number from 0 to ${MAX_SCALE}.`);
    }
    if (await currencyUsed(tx, current.id)) {
      throw new TallyError(
        "CONFLICT",
        "The scale of a currency can change only while it has no entries: amounts already written would change value.",
      );
    }
    values.scale = patch.scale;
  }
  if (patch.allowance !== undefined) {
    Object.assign(values, allowanceValues(patch.allowance, values.scale ?? current.scale));
  }
  if (patch.isDefault && !current.isDefault) {
    if (current.archivedAt) {
      throw new TallyError("CONFLICT", "An archived currency cannot be the default; unarchive it first.");
    }
    // As in createCurrency: one default switch per realm at a time, or two could each clear the old default and
    // both set theirs, breaking the one-default index. This currency's row is locked already, the realm's next.
    await tx.select({ id: realms.id }).from(realms).where(eq(realms.id, current.realmId)).for("no key update");
    await tx
      .update(currencies)
      .set({ isDefault: false, updatedAt: new Date() })
      .where(and(eq(currencies.realmId, current.realmId), eq(currencies.isDefault, true)));
    values.isDefault = true;
  }
  return values;
}

async function currencyUsed(tx: Database, currencyId: string): Promise<boolean> {
  const [row] = await queryRows<{ used: boolean }>(
    tx,
    sql`SELECT EXISTS (SELECT 1 FROM balances WHERE currency_id = ${currencyId})
      OR EXISTS (SELECT 1 FROM ledger_entries WHERE currency_id = ${currencyId}) AS used`,
  );
  return Boolean(row?.used);
}

/** Archives (no new entries; balances stay readable) or unarchives; the default currency cannot be archived. */
export const archiveValues = (current: Currency, archived: boolean): Partial<Currency> => {
  if (archived && current.isDefault) {
    throw new TallyError("CONFLICT", "The realm's default currency cannot be archived; make another one the default.");
  }
  return { archivedAt: archived ? (current.archivedAt ?? new Date()) : null };
};
