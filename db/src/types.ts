import type {
  accounts,
  apiKeys,
  balances,
  botBindings,
  credentials,
  currencies,
  idempotencyKeys,
  ledgerEntries,
  realms,
} from "./schema/index.ts";

export type Realm = typeof realms.$inferSelect;
export type Currency = typeof currencies.$inferSelect;
export type ApiKey = typeof apiKeys.$inferSelect;
export type Account = typeof accounts.$inferSelect;
export type Credential = typeof credentials.$inferSelect;
export type Balance = typeof balances.$inferSelect;
export type LedgerEntry = typeof ledgerEntries.$inferSelect;
export type NewLedgerEntry = typeof ledgerEntries.$inferInsert;
export type IdempotencyKey = typeof idempotencyKeys.$inferSelect;
export type BotBinding = typeof botBindings.$inferSelect;
