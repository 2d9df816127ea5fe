import { type Account, accounts, balances, credentials, currencies, type Database } from "@tally/db";
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { WriteContext } from "../context.ts";
import { TallyError } from "../errors.ts";
import { claimKey, requestHash, storeResult } from "../idempotency.ts";
import { type CredentialType, normalizeIdentifier } from "../identities.ts";
import { inTransaction } from "../transaction.ts";

/** Drip's member search types: an account id, a display name, or one of the credential types. */
export const memberSearchTypes = ["drip-id", "discord-id", "twitter-id", "wallet", "email", "username"] as const;
export type MemberSearchType = (typeof memberSearchTypes)[number];
export const MAX_SEARCH_VALUES = 100;

export interface MemberCredential {
  id: string;
  type: CredentialType;
  source: string;
  value: string;
  metadata: Record<string, unknown> | null;
  createdAt: Date;
}

export interface MemberBalance {
  currencyId: string;
  currencyName: string;
  currencyEmoji: string | null;
  scale: number;
  balance: bigint;
}

/** A member account with every credential pointing at it and every balance it holds. */
export type MemberProfile = Account & { credentials: MemberCredential[]; balances: MemberBalance[] };

/** The member account with this id (a Drip `dripId`); ghost accounts are not members, so they are NOT_FOUND too. */
export async function getMember(db: Database, realmId: string, accountId: string): Promise<Account> {
  const [account] = await db
    .select()
    .from(accounts)
    .where(and(eq(accounts.realmId, realmId), eq(accounts.id, accountId), eq(accounts.kind, "member")));
  if (!account) throw new TallyError("NOT_FOUND", `No member with id "${accountId}" in this realm.`);
  return account;
}

/** Credentials and balances of the given accounts, in the order given; two queries whatever the count. */
export async function memberProfiles(db: Database, list: Account[]): Promise<MemberProfile[]> {
  const ids = list.map((a) => a.id);
  if (ids.length === 0) return [];
  const [creds, held] = await Promise.all([
    db
      .select()
      .from(credentials)
      .where(inArray(credentials.accountId, ids))
      .orderBy(asc(credentials.createdAt), asc(credentials.id)),
    db
      .select({
        accountId: balances.accountId,
        currencyId: balances.currencyId,
        currencyName: currencies.name,
        currencyEmoji: currencies.emoji,
        scale: currencies.scale,
        balance: balances.balance,
      })
      .from(balances)
      .innerJoin(currencies, eq(currencies.id, balances.currencyId))
      .where(inArray(balances.accountId, ids))
      .orderBy(asc(currencies.createdAt)),
  ]);
  return list.map((account) => ({
    ...account,
    credentials: creds
      .filter((c) => c.accountId === account.id)
      .map((c) => ({
        id: c.id,
        type: c.type,
        source: c.source,
        value: c.value,
        metadata: c.metadata,
        createdAt: c.createdAt,
      })),
    balances: held.filter((b) => b.accountId === account.id).map(({ accountId: _, ...b }) => b),
  }));
}

/**
 * Members matching any of `values` for one search type, each once, in the order of the values that found them.
 * Credential values are normalised as everywhere else; a value that cannot be one is a VALIDATION error naming it.
 */
export async function searchMembers(
  db: Database,
  realmId: string,
  type: MemberSearchType,
  values: string[],
): Promise<MemberProfile[]> {
  const wanted = [...new Set(values.map((v) => v.trim()).filter((v) => v.length > 0))];
  if (wanted.length === 0) throw new TallyError("VALIDATION", "values must name at least one value.");
  if (wanted.length > MAX_SEARCH_VALUES) {
    throw new TallyError("VALIDATION", `values holds at most ${MAX_SEARCH_VALUES} comma-separated values.`);
  }
  const member = and(eq(accounts.realmId, realmId), eq(accounts.kind, "member"));
  let found: { account: Account; key: string }[];
  if (type === "drip-id") {
    const rows = await db
      .select()
      .from(accounts)
      .where(and(member, inArray(accounts.id, wanted)));
    found = rows.map((account) => ({ account, key: account.id }));
  } else if (type === "username") {
    const lowered = wanted.map((v) => v.toLowerCase());
    const rows = await db
      .select()
      .from(accounts)
      .where(and(member, inArray(sql`lower(${accounts.name})`, lowered)));
    found = rows.map((account) => ({ account, key: (account.name ?? "").toLowerCase() }));
    wanted.splice(0, wanted.length, ...lowered);
  } else {
    const normalized = wanted.map((value) => {
      try {
        return normalizeIdentifier(type, value).value;
      } catch (error) {
        if (error instanceof TallyError) throw new TallyError("VALIDATION", `values: "${value}": ${error.message}`);
        throw error;
      }
    });
    wanted.splice(0, wanted.length, ...normalized);
    const rows = await db
      .select({ account: accounts, value: credentials.value })
      .from(credentials)
      .innerJoin(accounts, eq(accounts.id, credentials.accountId))
      .where(
        and(
          member,
          eq(credentials.realmId, realmId),
          eq(credentials.type, type),
          eq(credentials.source, ""),
          inArray(credentials.value, normalized),
        ),
      );
    found = rows.map((r) => ({ account: r.account, key: r.value }));
  }
  const ordered = new Map<string, Account>();
  for (const key of wanted) {
    for (const f of found) if (f.key === key && !ordered.has(f.account.id)) ordered.set(f.account.id, f.account);
  }
  return memberProfiles(db, [...ordered.values()]);
}

/**
 * Merges keys into a member's metadata (a key set to null is removed), with the account row locked so two
 * concurrent merges both land. Honours the write's idempotency key.
 */
export async function updateMemberMetadata(
  db: Database,
  ctx: WriteContext,
  accountId: string,
  metadata: Record<string, unknown>,
): Promise<Account & { replayed: boolean }> {
  const hash = requestHash("member-metadata", { accountId, metadata });
  return inTransaction(db, async (tx) => {
    if (ctx.idempotencyKey) {
      const stored = await claimKey<Account>(tx, ctx.realmId, ctx.idempotencyKey, hash);
      if (stored) {
        return {
          ...stored,
          createdAt: new Date(stored.createdAt),
          updatedAt: new Date(stored.updatedAt),
          replayed: true,
        };
      }
    }
    const [current] = await tx
      .select()
      .from(accounts)
      .where(and(eq(accounts.realmId, ctx.realmId), eq(accounts.id, accountId), eq(accounts.kind, "member")))
      .for("update");
    if (!current) throw new TallyError("NOT_FOUND", `No member with id "${accountId}" in this realm.`);
    const merged = mergeMetadata(current.metadata, metadata);
    const [account] = await tx
      .update(accounts)
      .set({ metadata: merged, updatedAt: new Date() })
      .where(eq(accounts.id, accountId))
      .returning();
    if (!account) throw new Error("member metadata update returned nothing");
    if (ctx.idempotencyKey) await storeResult(tx, ctx.realmId, ctx.idempotencyKey, account);
    return { ...account, replayed: false };
  });
}

/** Shallow merge; null removes a key. */
export function mergeMetadata(
  current: Record<string, unknown> | null,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}
