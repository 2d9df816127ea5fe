import { useTestCore } from "@tally/core/testing";
import { queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { afterEach, beforeEach, expect, it } from "vitest";
import { type ApiProcess, startApiProcess } from "../tally-process.ts";
import { type Receiver, startReceiver, until } from "../webhook-receiver.ts";

const KEY = "tly_webhooks_crash_test_key";
const env = useTestCore({ apiKey: KEY });
let receiver: Receiver;
const processes: ApiProcess[] = [];
beforeEach(async () => {
  receiver = await startReceiver();
});
afterEach(async () => {
  for (const p of processes.splice(0)) await p.stop("SIGKILL");
  await receiver.close();
});

async function call(api: ApiProcess, method: string, path: string, body?: unknown) {
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
  return { status: response.status, body: (await response.json()) as any };
}

const start = async () => {
  const api = await startApiProcess({ DATABASE_URL: env.t.url, TALLY_API_KEY: KEY });
  processes.push(api);
  return api;
};

it("kill -9 between commit and delivery, and in the middle of sending, loses no event", async () => {
  const first = await start();
  const hook = await call(first, "POST", "/api/v1/realms/default/webhooks", { url: receiver.url });
  expect(hook.status).toBe(201);
  receiver.secrets.push(hook.body.secret);
  receiver.mode = "hang"; // requests arrive and are never answered: claimed deliveries stay in flight
  for (let i = 1; i <= 20; i++) {
    const res = await call(first, "PATCH", "/api/v1/realms/default/credentials/balance?type=custom&source=s&value=v", {
      amount: i,
    });
    expect(res.status).toBe(200); // acknowledged, so committed
  }
  await until(() => receiver.held > 0, "a delivery in flight");
  await first.stop("SIGKILL");
  const stuck = await queryRows<{ status: string; n: string }>(
    env.t.db,
    sql`SELECT status, count(*)::text AS n FROM webhook_deliveries GROUP BY status ORDER BY status`,
  );
  expect(stuck.find((r) => r.status === "delivering")).toBeDefined();

  receiver.mode = 200;
  const restarted = Date.now();
  await start();
  await until(() => receiver.unique().length === 20, "all 20 events after the restart", 60_000);
  expect(Date.now() - restarted).toBeLessThan(60_000);
  const amounts = receiver
    .unique()
    .map((e) => e.body.data.delta)
    .sort((a, b) => a - b);
  expect(amounts).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  expect(
    receiver
      .unique()
      .map((e) => e.body.data.sequence)
      .sort((a, b) => a - b),
  ).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  expect(receiver.rejected).toBe(0);
}, 120_000);
