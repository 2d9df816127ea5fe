import {
  type BalanceChangeResult,
  type BalanceService,
  type CredentialRow,
  type Identifier,
  type MemberProfile,
  toJsonAmount,
} from "@tally/core";
import type { Account, Currency, LedgerEntry } from "@tally/db";
import { z } from "zod";
import { jsonNumber } from "./plugins/json-body.ts";

/** JSON shapes of the API. Balances leave as exact whole-unit JSON numbers via the currency's scale, never as raw bigints. */

export function credentialBalance(identifier: Identifier, change: BalanceChangeResult) {
  return {
    credentialId: change.credentialId ?? "",
    identifier: identifier.value,
    balance: toJsonAmount(change.balance, change.currency.scale),
    realmPointId: change.currency.id,
    linked: change.linked,
  };
}

export function user(account: Account) {
  return {
    user_id: account.userId,
    klaim_id: account.id,
    email: account.email,
    name: account.name,
    metadata: account.metadata ?? {},
    created_at: account.createdAt.toISOString(),
    updated_at: account.updatedAt.toISOString(),
  };
}

export function entry(e: LedgerEntry & { reversedBy?: string | null }, scaleOf: (currencyId: string) => number) {
  const scale = scaleOf(e.currencyId);
  return {
    id: e.id.toString(),
    accountId: e.accountId,
    realmPointId: e.currencyId,
    credentialId: e.credentialId,
    amount: toJsonAmount(e.delta, scale),
    balanceAfter: toJsonAmount(e.balanceAfter, scale),
    kind: e.kind,
    description: e.description,
    initiator: { type: e.initiatorType, id: e.initiatorId },
    via: e.via,
    reversesEntryId: e.reversesEntryId?.toString() ?? null,
    reversedBy: e.reversedBy ?? null,
    createdAt: e.createdAt.toISOString(),
  };
}

export function currency(c: Currency) {
  return {
    id: c.id,
    name: c.name,
    emoji: c.emoji,
    isDefault: c.isDefault,
    allowNegative: c.allowNegative,
    scale: c.scale,
    allowance:
      c.allowanceAmount === null || c.allowancePeriod === null
        ? null
        : {
            amount: toJsonAmount(c.allowanceAmount, c.scale),
            period: c.allowancePeriod,
            managersExempt: c.allowanceManagersExempt,
          },
    archived: c.archivedAt !== null,
    metadata: c.metadata ?? {},
  };
}

/** A credential in Drip's words: `format` is its type, `publicIdentifier` its normalised value. */
export function credential(c: Pick<CredentialRow, "id" | "type" | "source" | "value" | "metadata" | "createdAt">) {
  return {
    id: c.id,
    format: c.type,
    source: c.source || null,
    publicIdentifier: c.value,
    isVerified: false,
    metadata: c.metadata ?? null,
    createdAt: c.createdAt.toISOString(),
  };
}

/** A member with its credentials and balances, Drip's search and list shape. */
export function member(m: MemberProfile) {
  return {
    id: m.id,
    userId: m.userId,
    name: m.name,
    email: m.email,
    metadata: m.metadata ?? {},
    createdAt: m.createdAt.toISOString(),
    updatedAt: m.updatedAt.toISOString(),
    credentials: m.credentials.map(credential),
    balances: m.balances.map((b) => ({
      balance: toJsonAmount(b.balance, b.scale),
      currencyId: b.currencyId,
      currencyName: b.currencyName,
      currencyEmoji: b.currencyEmoji,
    })),
  };
}

/** Decimal places by currency id for a realm, for rendering entries that may span currencies. */
export async function scalesOf(core: BalanceService, realmId: string): Promise<(currencyId: string) => number> {
  const currencies = await core.currencies(realmId);
  return (id) => currencies.find((c) => c.id === id)?.scale ?? 0;
}

const credentialSchema = z.object({
  id: z.string(),
  format: z.string().describe("The credential type: discord-id, twitter-id, email, wallet or custom"),
  source: z.string().nullable().describe("The source of a custom credential"),
  publicIdentifier: z.string().describe("The normalised value"),
  isVerified: z.boolean().describe("Always false: Tally verifies no credential itself"),
  metadata: z.record(z.string(), z.unknown()).nullable(),
  createdAt: z.string(),
});

const memberSchema = z.object({
  id: z.string().describe("The member's account id (Drip's dripId)"),
  userId: z.string().nullable(),
  name: z.string().nullable(),
  email: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
  credentials: z.array(credentialSchema),
  balances: z.array(
    z.object({
      balance: jsonNumber,
      currencyId: z.string(),
      currencyName: z.string(),
      currencyEmoji: z.string().nullable(),
    }),
  ),
});

/** The zod shapes of the renderers above, for response validation and the OpenAPI document. */
export const schemas = {
  credentialBalance: z.object({
    credentialId: z.string(),
    identifier: z.string(),
    balance: jsonNumber,
    realmPointId: z.string(),
    linked: z.boolean(),
  }),
  user: z.object({
    user_id: z.string().nullable(),
    klaim_id: z.string().describe("Tally's account id"),
    email: z.string().nullable(),
    name: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    created_at: z.string(),
    updated_at: z.string(),
  }),
  entry: z.object({
    id: z.string(),
    accountId: z.string(),
    realmPointId: z.string(),
    credentialId: z.string().nullable(),
    amount: jsonNumber,
    balanceAfter: jsonNumber,
    kind: z.string(),
    reversesEntryId: z.string().nullable(),
    reversedBy: z.string().nullable(),
    description: z.string().nullable(),
    initiator: z.object({ type: z.string(), id: z.string() }),
    via: z.string(),
    createdAt: z.string(),
  }),
  currency: z.object({
    id: z.string(),
    name: z.string(),
    emoji: z.string().nullable(),
    isDefault: z.boolean(),
    allowNegative: z.boolean(),
    scale: z.number(),
    allowance: z
      .object({ amount: jsonNumber, period: z.enum(["day", "week", "month"]), managersExempt: z.boolean() })
      .nullable()
      .describe("What each member may give away per period with /points thank and reactions; null: none"),
    archived: z.boolean().describe("An archived currency takes no new entries; its balances stay readable"),
    metadata: z.record(z.string(), z.unknown()),
  }),
  credential: credentialSchema,
  member: memberSchema,
};
