import { type Database, queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { toMajor } from "../amounts.ts";

/** The body of a webhook request: Standard Webhooks' `{type, timestamp, data}`. */
export interface WebhookEvent {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

interface OutboxRow {
  outbox_id: string | bigint;
  type: string;
  sequence: string | bigint | null;
  created_at: Date | string;
  realm_id: string;
  entry_id: string | null;
  // to_jsonb of the entry, so columns added later (reverses_entry_id) are read when present
  entry: Record<string, unknown> | string | null;
  account_id: string | null;
  user_id: string | null;
  credential_id: string | null;
  credential_type: string | null;
  credential_source: string | null;
  identifier: string | null;
  scale: number | null;
}

const iso = (value: unknown): string => new Date(value as string).toISOString();
const text = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

/**
 * Builds the events of outbox rows from the rows they point at. Entries are append-only and credentials only ever
 * gain a member, so the same outbox row yields the same body on every attempt.
 */
export async function buildEvents(db: Database, outboxIds: bigint[]): Promise<Map<string, WebhookEvent>> {
  const events = new Map<string, WebhookEvent>();
  if (outboxIds.length === 0) return events;
  const ids = outboxIds.map(String);
  const rows = await queryRows<OutboxRow>(
    db,
    sql`SELECT o.id AS outbox_id, o.type, o.sequence, o.created_at, o.realm_id, e.id::text AS entry_id,
        to_jsonb(e) AS entry, a.id AS account_id, a.user_id, c.id AS credential_id, c.type AS credential_type,
        c.source AS credential_source, c.value AS identifier, cur.scale
      FROM webhook_outbox o
      LEFT JOIN ledger_entries e ON e.id = o.entry_id
      LEFT JOIN accounts a ON a.id = coalesce(e.account_id, o.account_id)
      LEFT JOIN credentials c ON c.id = coalesce(e.credential_id, o.credential_id)
      LEFT JOIN currencies cur ON cur.id = e.currency_id
      WHERE o.id IN (SELECT unnest(${`{${ids.join(",")}}`}::bigint[]))`,
  );
  for (const row of rows) {
    const sequence = row.sequence === null ? null : Number(row.sequence);
    const timestamp = iso(row.created_at);
    if (row.type === "balance.changed") {
      const e = (typeof row.entry === "string" ? JSON.parse(row.entry) : row.entry) as Record<string, unknown> | null;
      if (!e) continue;
      const scale = row.scale ?? 0;
      events.set(String(row.outbox_id), {
        type: row.type,
        timestamp,
        data: {
          entryId: row.entry_id,
          realmId: row.realm_id,
          currencyId: e.currency_id,
          accountId: e.account_id,
          credentialId: text(e.credential_id),
          identifier: row.identifier,
          userId: row.user_id,
          delta: toMajor(BigInt(String(e.delta)), scale),
          balanceAfter: toMajor(BigInt(String(e.balance_after)), scale),
          kind: e.kind,
          description: text(e.description),
          initiator: { type: e.initiator_type, id: e.initiator_id },
          via: e.via,
          reversesEntryId: text(e.reverses_entry_id),
          createdAt: iso(e.created_at),
          sequence,
        },
      });
    } else {
      events.set(String(row.outbox_id), {
        type: row.type,
        timestamp,
        data: {
          credentialId: row.credential_id,
          realmId: row.realm_id,
          type: row.credential_type,
          source: row.credential_source || null,
          identifier: row.identifier,
          accountId: row.account_id,
          userId: row.user_id,
          linkedAt: timestamp,
          sequence,
        },
      });
    }
  }
  return events;
}
