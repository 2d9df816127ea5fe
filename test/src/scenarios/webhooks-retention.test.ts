import { deliverDue, pruneWebhookHistory, startWebhookPruner } from "@tally/core";
import { queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "../harness.ts";
import { type Receiver, startReceiver, until } from "../webhook-receiver.ts";

let h: Harness;
let receiver: Receiver;
beforeAll(async () => {
  h = await startHarness();
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
  await h.close();
});

const realm = "/api/v1/realms/default";
const rows = async (table: string) =>
  (await queryRows<{ id: string }>(h.t.db, sql.raw(`SELECT id::text AS id FROM ${table} ORDER BY ${table}.id`))).map(
    (r) => r.id,
  );

describe("webhook history retention", () => {
  it("deletes finished deliveries and their events past the window, keeping recent and unfinished ones", async () => {
    const hook = await h.call("POST", `${realm}/webhooks`, { body: { url: receiver.url } });
    expect(hook.status).toBe(201);
    receiver.secrets.push(hook.body.secret);
    for (let i = 0; i < 5; i++) {
      const res = await h.call("PATCH", `${realm}/credentials/balance?type=email&value=r${i}@example.com`, {
        body: { amount: 1 },
      });
      expect(res.status).toBe(200);
    }
    await until(async () => {
      await deliverDue(h.t.db, { allowPrivate: true });
      const done = await queryRows(h.t.db, sql`SELECT 1 FROM webhook_deliveries WHERE status = 'succeeded'`);
      return done.length === 5;
    }, "five deliveries");
    const deliveries = await rows("webhook_deliveries");
    const events = await rows("webhook_outbox");
    expect(deliveries).toHaveLength(5);
    expect(events).toHaveLength(5);
    const [a, b, c] = deliveries;
    // Two finished long ago; a third as old but due again (unfinished), so its event must stay.
    await h.t.db.execute(sql`UPDATE webhook_deliveries SET created_at = now() - interval '40 days'
      WHERE id IN (${a}::bigint, ${b}::bigint, ${c}::bigint)`);
    await h.t.db.execute(sql`UPDATE webhook_deliveries SET status = 'pending' WHERE id = ${c}::bigint`);
    await h.t.db.execute(sql`UPDATE webhook_outbox SET created_at = now() - interval '40 days'
      WHERE id IN (SELECT outbox_id FROM webhook_deliveries WHERE id IN (${a}::bigint, ${b}::bigint, ${c}::bigint))`);
    const olderThan = new Date(Date.now() - 30 * 86_400_000);

    expect(await pruneWebhookHistory(h.t.db, { olderThan, batch: 1 })).toEqual({ deliveries: 2, events: 2 });
    expect(await rows("webhook_deliveries")).toEqual(deliveries.slice(2));
    expect(await rows("webhook_outbox")).toHaveLength(3);
    const gone = await h.call("POST", `${realm}/webhooks/${hook.body.id}/deliveries/${a}/redeliver`);
    expect(gone.status).toBe(404);

    // The background pruner does the same, and leaves the unfinished delivery and its event alone.
    await h.t.db.execute(sql`UPDATE webhook_deliveries SET created_at = now() - interval '40 days'
      WHERE id = ${deliveries[3]}::bigint`);
    const errors: unknown[] = [];
    const pruner = startWebhookPruner(h.t.db, { retentionDays: 30, onError: (e) => errors.push(e) });
    await expect.poll(() => rows("webhook_deliveries")).toEqual([c, deliveries[4]]);
    await pruner.stop();
    expect(errors).toEqual([]);
    expect(await rows("webhook_outbox")).toHaveLength(3); // the 4th event is recent; only deliveries age by their own date
  });
});
