import { createWebhook, sequenceEvents, startWebhookWorker, type WebhookWorker } from "@tally/core";
import { useTestCore } from "@tally/core/testing";
import { openDatabase, queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { afterEach, beforeEach, expect, it } from "vitest";
import { type Receiver, startReceiver, until } from "../webhook-receiver.ts";

const env = useTestCore({ maxConnections: 40 });
let receiver: Receiver;
beforeEach(async () => {
  receiver = await startReceiver([], { delayMs: 15 });
});
afterEach(() => receiver.close());

const ctx = { realmId: "default", initiator: { type: "cli" as const, id: "test" }, via: "cli" as const };

it("two delivery workers (two pools, as two processes) never send one event twice, under concurrent writes", async () => {
  const hook = await createWebhook(env.t.db, "default", { url: receiver.url }, { allowPrivate: true });
  receiver.secrets.push(hook.secret);
  // a second process's database handle: its own pool, so the workers race through PostgreSQL, not through one client
  const second = await openDatabase({ url: env.t.url, maxConnections: 5 });
  const workers: WebhookWorker[] = [
    startWebhookWorker(env.t.db, { allowPrivate: true, pollMs: 10, batchSize: 8 }),
    startWebhookWorker(second.db, { allowPrivate: true, pollMs: 10, batchSize: 8 }),
  ];
  try {
    const writes = Array.from({ length: 240 }, (_, i) =>
      env.core.adjust(ctx, {
        subject: { kind: "credential", identifier: { type: "custom", source: "load", value: `u${i % 12}` } },
        amount: (i % 5) + 1,
      }),
    );
    await Promise.all(writes);
    // most of them went through the group-commit writer's multi-row statements: the trigger sees those too
    expect(env.core.writeStats.batches).toBeGreaterThan(0);
    await until(() => receiver.unique().length === 240, "240 events", 60_000);
    await new Promise((r) => setTimeout(r, 300)); // a late duplicate would show up here
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await second.close();
  }
  expect(receiver.rejected).toBe(0);
  expect(receiver.maxConcurrentPerId).toBe(1);
  expect(receiver.received).toHaveLength(240); // every answer was 2xx, so nothing was ever sent twice
  const sequences = receiver.received.map((e) => e.body.data.sequence as number).sort((a, b) => a - b);
  expect(sequences).toEqual(Array.from({ length: 240 }, (_, i) => i + 1));
  // per account, sequence order is balance order: each balanceAfter is the previous one plus the delta
  const byAccount = new Map<string, { sequence: number; delta: number; after: number }[]>();
  for (const e of receiver.received) {
    const d = e.body.data;
    const list = byAccount.get(d.accountId) ?? [];
    list.push({ sequence: d.sequence, delta: d.delta, after: d.balanceAfter });
    byAccount.set(d.accountId, list);
  }
  for (const list of byAccount.values()) {
    list.sort((a, b) => a.sequence - b.sequence);
    let balance = 0;
    for (const step of list) {
      balance += step.delta;
      expect(step.after).toBe(balance);
    }
  }
});

it("concurrent sequencers number each realm gap-free, each row once", async () => {
  await createWebhook(env.t.db, "default", { url: receiver.url }, { allowPrivate: true });
  const other = await env.core.createRealm({ name: "other" });
  await createWebhook(env.t.db, other.id, { url: receiver.url }, { allowPrivate: true });
  const credits = Array.from({ length: 200 }, (_, i) =>
    env.core.adjust(
      { ...ctx, realmId: i % 2 ? other.id : "default" },
      {
        subject: { kind: "credential", identifier: { type: "email", source: "", value: `p${i % 7}@x.io` } },
        amount: 1,
      },
    ),
  );
  // sequencers race each other and the writes
  const sequencers = Array.from({ length: 6 }, async () => {
    for (let i = 0; i < 20; i++) await sequenceEvents(env.t.db, 7);
  });
  await Promise.all([...credits, ...sequencers]);
  while ((await sequenceEvents(env.t.db)) > 0) {}
  const rows = await queryRows<{ realm_id: string; seqs: string[] }>(
    env.t.db,
    sql`SELECT realm_id, array_agg(sequence::text ORDER BY sequence) AS seqs FROM webhook_outbox GROUP BY realm_id`,
  );
  expect(rows).toHaveLength(2);
  for (const row of rows) {
    expect(row.seqs.map(Number)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  }
  const [deliveries] = await queryRows<{ n: string; ids: string }>(
    env.t.db,
    sql`SELECT count(*)::text AS n, count(DISTINCT outbox_id)::text AS ids FROM webhook_deliveries`,
  );
  expect(deliveries).toEqual({ n: "200", ids: "200" });
});
