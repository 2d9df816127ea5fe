import { type Database, queryRows } from "@tally/db";
import { sql } from "drizzle-orm";

/** Advisory-lock class of the per-realm sequencer (the second key is the realm's hash). */
const SEQUENCER_LOCK = 727_011;

/**
 * Numbers committed outbox rows per realm (1, 2, 3… with no gap) and fans each out into one delivery per enabled
 * endpoint whose filter matches. It runs after commit, in the worker, so a balance write never waits on a realm-wide
 * counter; a per-realm advisory lock lets several workers run it without handing one number out twice.
 * Returns how many events it numbered.
 */
export async function sequenceEvents(db: Database, batchSize = 500): Promise<number> {
  const realms = await queryRows<{ realm_id: string }>(
    db,
    sql`SELECT DISTINCT realm_id FROM webhook_outbox WHERE sequence IS NULL LIMIT 100`,
  );
  let numbered = 0;
  for (const { realm_id: realmId } of realms) {
    numbered += await db.transaction(async (tx) => {
      const [lock] = await queryRows<{ ok: boolean }>(
        tx,
        sql`SELECT pg_try_advisory_xact_lock(${SEQUENCER_LOCK}, hashtext(${realmId})) AS ok`,
      );
      if (!lock?.ok) return 0; // another worker is numbering this realm right now
      const rows = await queryRows<{ n: string | number | bigint }>(
        tx,
        sql`WITH batch AS (
            SELECT id, type, row_number() OVER (ORDER BY id) AS n FROM webhook_outbox
            WHERE realm_id = ${realmId} AND sequence IS NULL ORDER BY id LIMIT ${batchSize}
          ),
          counter AS (
            INSERT INTO webhook_sequences (realm_id, last_sequence)
            SELECT ${realmId}, count(*) FROM batch HAVING count(*) > 0
            ON CONFLICT (realm_id) DO UPDATE SET last_sequence = webhook_sequences.last_sequence + excluded.last_sequence
            RETURNING last_sequence
          ),
          numbered AS (
            UPDATE webhook_outbox o SET sequence = c.last_sequence - (SELECT count(*) FROM batch) + b.n
            FROM batch b, counter c WHERE o.id = b.id
            RETURNING o.id, o.type, 'msg_' || to_hex(o.id) || '_' || substr(md5(random()::text), 1, 12) AS event_id
          ),
          fanned AS (
            INSERT INTO webhook_deliveries (endpoint_id, realm_id, event_id, type, outbox_id)
            SELECT e.id, ${realmId}, n.event_id, n.type, n.id FROM numbered n
            JOIN webhook_endpoints e ON e.realm_id = ${realmId} AND e.enabled
              AND (e.events IS NULL OR n.type = ANY (e.events))
            ORDER BY n.id
            RETURNING 1
          )
          SELECT (SELECT count(*) FROM numbered) AS n, (SELECT count(*) FROM fanned) AS fanned`,
      );
      return Number(rows[0]?.n ?? 0);
    });
  }
  return numbered;
}
