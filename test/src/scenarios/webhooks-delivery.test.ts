import { createWebhook, deliverDue, postEvent, type WebhookWorkerOptions } from "@tally/core";
import { queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "../harness.ts";
import { type Receiver, startReceiver, until } from "../webhook-receiver.ts";

let h: Harness;
let receiver: Receiver;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
beforeEach(async () => {
  await h.reset();
  receiver = await startReceiver();
});
afterEach(() => receiver.close());

const realm = "/api/v1/realms/default";
const fast: WebhookWorkerOptions = { allowPrivate: true, backoffMs: 50, maxBackoffMs: 200 };
const credit = (value: string, amount: number) =>
  h.call("PATCH", `${realm}/credentials/balance?type=custom&source=shop&value=${value}`, { body: { amount } });

async function subscribe(body: Record<string, unknown> = {}) {
  const res = await h.call("POST", `${realm}/webhooks`, { body: { url: receiver.url, ...body } });
  expect(res.status).toBe(201);
  receiver.secrets.push(res.body.secret);
  return res.body as { id: string; secret: string };
}

/** Runs delivery passes until `done` holds: the worker loop, stepped by the test so nothing runs after it ends. */
async function deliverUntil(done: () => boolean, what: string, options: Partial<WebhookWorkerOptions> = {}) {
  await until(async () => {
    await deliverDue(h.t.db, { ...fast, ...options });
    return done();
  }, what);
}

const count = async (table: string) =>
  Number((await queryRows<{ n: string }>(h.t.db, sql.raw(`SELECT count(*)::text AS n FROM ${table}`)))[0]?.n);

describe("webhook endpoints", () => {
  it("shows a whsec_ secret of 24+ random bytes once, and never again", async () => {
    const created = await subscribe({ events: ["balance.changed"], description: "shop" });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(created.secret.slice(6), "base64").length).toBeGreaterThanOrEqual(24);
    expect(created).toMatchObject({ events: ["balance.changed"], description: "shop", enabled: true });
    const one = await h.call("GET", `${realm}/webhooks/${created.id}`);
    const all = await h.call("GET", `${realm}/webhooks`);
    const patched = await h.call("PATCH", `${realm}/webhooks/${created.id}`, { body: { description: "x" } });
    for (const text of [JSON.stringify(one.body), JSON.stringify(all.body), JSON.stringify(patched.body)]) {
      expect(text).not.toContain(created.secret);
      expect(text).not.toContain("secret");
    }
    expect(one.body).toMatchObject({ id: created.id, url: receiver.url });
    expect(patched.body.description).toBe("x");
  });

  it.each([
    [{ url: "ftp://example.com/x" }, "url"],
    [{ url: "not a url" }, "url"],
    [{ url: "https://user:pw@example.com/" }, "url"],
    [{ url: "https://example.com/", events: ["balance.exploded"] }, "events"],
    [{ url: "https://example.com/", events: [] }, "events"],
    [{ url: "https://example.com/", secret: "mine" }, "secret"],
  ])("rejects %j with 400 naming %s, creating nothing", async (body, field) => {
    const res = await h.call("POST", `${realm}/webhooks`, { body });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: "VALIDATION", message: expect.stringContaining(field) });
    expect(await count("webhook_endpoints")).toBe(0);
  });

  it("documents every webhook and export route in the OpenAPI document", async () => {
    const doc = await h.call("GET", "/docs/json", { auth: null });
    const paths = Object.keys(doc.body.paths);
    for (const path of [
      "/api/v1/realms/{realmId}/webhooks",
      "/api/v1/realms/{realmId}/webhooks/{id}",
      "/api/v1/realms/{realmId}/webhooks/{id}/rotate-secret",
      "/api/v1/realms/{realmId}/webhooks/{id}/test",
      "/api/v1/realms/{realmId}/webhooks/{id}/deliveries",
      "/api/v1/realms/{realmId}/webhooks/{id}/deliveries/{deliveryId}/redeliver",
      "/api/v1/realms/{realmId}/transactions/export",
      "/api/v1/realms/{realmId}/members/export",
    ]) {
      expect(paths).toContain(path);
    }
    const webhooks = doc.body.paths["/api/v1/realms/{realmId}/webhooks"];
    expect(Object.keys(webhooks).sort()).toEqual(["get", "post"]);
    expect(Object.keys(doc.body.paths["/api/v1/realms/{realmId}/webhooks/{id}"]).sort()).toEqual([
      "delete",
      "get",
      "patch",
    ]);
  });

  it("keeps other realms out (403) and answers 404 for an unknown webhook", async () => {
    const other = await h.core.createRealm({ name: "other" });
    const res = await h.call("GET", `/api/v1/realms/${other.id}/webhooks`);
    expect(res.status).toBe(403);
    expect((await h.call("GET", `${realm}/webhooks/nope`)).status).toBe(404);
    expect((await h.call("DELETE", `${realm}/webhooks/nope`)).status).toBe(404);
  });

  it("forbids loopback and private targets when TALLY_WEBHOOK_ALLOW_PRIVATE is false", async () => {
    for (const url of ["http://127.0.0.1:9/x", "http://10.1.2.3/x", "http://[::1]/x", "http://169.254.169.254/"]) {
      await expect(createWebhook(h.t.db, "default", { url }, { allowPrivate: false })).rejects.toMatchObject({
        code: "VALIDATION",
        message: expect.stringContaining("TALLY_WEBHOOK_ALLOW_PRIVATE"),
      });
    }
    const refused = await postEvent(receiver.url, {}, "{}", {
      allowPrivate: false,
      timeoutMs: 1000,
      maxResponseBytes: 10,
    });
    expect(refused).toMatchObject({ status: null, error: expect.stringContaining("private") });
    // a name is checked at connect time, after the lookup
    const byName = await postEvent(receiver.url.replace("127.0.0.1", "localhost"), {}, "{}", {
      allowPrivate: false,
      timeoutMs: 1000,
      maxResponseBytes: 10,
    });
    expect(byName).toMatchObject({ status: null, error: expect.stringContaining("private address") });
    expect(receiver.received).toHaveLength(0);
  });
});

describe("webhook delivery", () => {
  it("sends one signed balance.changed per entry with a gap-free sequence, verified by standardwebhooks", async () => {
    await subscribe();
    const [points] = await h.core.currencies("default");
    await credit("ada", 10);
    await credit("ada", -3);
    await h.call(
      "PATCH",
      `${realm}/credentials/transfer?fromType=custom&fromSource=shop&fromValue=ada&toType=email&toValue=b@c.io`,
      {
        body: { amount: 2, description: "thanks" },
      },
    );
    await deliverUntil(() => receiver.received.length === 4, "four events");
    expect(receiver.rejected).toBe(0);
    const bodies = receiver.received.map((e) => e.body).sort((a, b) => a.data.sequence - b.data.sequence);
    expect(bodies.map((b) => b.data.sequence)).toEqual([1, 2, 3, 4]);
    expect(bodies[0]).toEqual({
      type: "balance.changed",
      timestamp: expect.any(String),
      data: {
        entryId: "1",
        realmId: "default",
        currencyId: points?.id,
        accountId: expect.any(String),
        credentialId: expect.any(String),
        identifier: "ada",
        userId: null,
        delta: 10,
        balanceAfter: 10,
        kind: "adjust",
        description: null,
        initiator: { type: "api_key", id: expect.any(String) },
        via: "api",
        reversesEntryId: null,
        createdAt: expect.any(String),
        sequence: 1,
      },
    });
    expect(bodies[1]?.data).toMatchObject({ delta: -3, balanceAfter: 7 });
    const transfer = bodies.slice(2).map((b) => [b.data.identifier, b.data.delta, b.data.kind, b.data.description]);
    expect(transfer).toEqual(
      expect.arrayContaining([
        ["ada", -2, "transfer", "thanks"],
        ["b@c.io", 2, "transfer", "thanks"],
      ]),
    );
    // the header is the Standard Webhooks form, and the same id is never reused for another event
    expect(receiver.received[0]?.signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Set(receiver.received.map((e) => e.id)).size).toBe(4);
  });

  it("renders amounts in the currency's unit", async () => {
    await subscribe();
    const cents = await h.call("POST", `${realm}/currencies`, { body: { name: "usd", scale: 2 } });
    await h.call("PATCH", `${realm}/credentials/balance?type=email&value=a@b.io`, {
      body: { amount: 12, realmPointId: cents.body.id },
    });
    await deliverUntil(() => receiver.received.length === 1, "one event");
    expect(receiver.received[0]?.body.data).toMatchObject({ delta: 12, balanceAfter: 12, currencyId: cents.body.id });
  });

  it("emits credential.linked, and nothing for a rolled-back write", async () => {
    await subscribe();
    await credit("ghost1", 5);
    const user = await h.call("POST", "/users", { body: { user_id: "u1" } });
    expect(user.status).toBe(201);
    const linked = await h.call("POST", `${realm}/credentials/link?type=custom&source=shop&value=ghost1`, {
      body: { userId: "u1" },
    });
    expect(linked.status).toBe(200);
    // all or nothing: the second item overdraws, so the first one's entry (and event) never commits
    const batch = await h.call("PATCH", `${realm}/credentials/transaction`, {
      body: {
        updates: [
          { type: "email", value: "x@y.io", amount: 4 },
          { type: "custom", source: "shop", value: "ghost1", amount: -100 },
        ],
      },
    });
    expect(batch.status).toBe(422);
    await deliverUntil(() => receiver.received.length === 4, "credit, linked, two link entries");
    await deliverDue(h.t.db, fast);
    expect(receiver.received).toHaveLength(4);
    const types = receiver.received.map((e) => [e.body.type, e.body.data.sequence]).sort((a, b) => a[1] - b[1]);
    expect(types).toEqual([
      ["balance.changed", 1],
      ["credential.linked", 2],
      ["balance.changed", 3],
      ["balance.changed", 4],
    ]);
    const link = receiver.received.find((e) => e.body.type === "credential.linked")?.body.data;
    expect(link).toMatchObject({ identifier: "ghost1", type: "custom", source: "shop", userId: "u1" });
    expect(await count("webhook_outbox")).toBe(4);
  });

  it("filters by events, and records nothing for a realm without an enabled endpoint", async () => {
    await credit("early", 1);
    expect(await count("webhook_outbox")).toBe(0);
    await subscribe({ events: ["credential.linked"] });
    await credit("ada", 1);
    await h.call("POST", "/users", { body: { user_id: "u2" } });
    await h.call("POST", `${realm}/credentials/link?type=custom&source=shop&value=ada`, { body: { userId: "u2" } });
    await deliverUntil(() => receiver.received.length === 1, "the linked event");
    await deliverDue(h.t.db, fast);
    expect(receiver.received.map((e) => e.body.type)).toEqual(["credential.linked"]);
  });

  it("a receiver down for a while gets every event exactly once after dedup by webhook-id", async () => {
    const hook = await subscribe();
    receiver.mode = 503;
    for (let i = 1; i <= 10; i++) await credit(`user${i % 3}`, i);
    for (let pass = 0; pass < 6; pass++) {
      await deliverDue(h.t.db, fast);
      await new Promise((r) => setTimeout(r, 60));
    }
    expect(receiver.received).toHaveLength(0);
    const during = await h.call("GET", `${realm}/webhooks/${hook.id}/deliveries?limit=4`);
    expect(during.body.data).toHaveLength(4);
    expect(during.body.nextCursor).toEqual(expect.any(String));
    expect(during.body.data[0]).toMatchObject({
      status: "pending",
      lastStatusCode: 503,
      nextAttemptAt: expect.any(String),
    });
    expect(during.body.data[0].attempts).toBeGreaterThanOrEqual(1);
    expect(during.body.data[0].lastResponse).toHaveLength(1024); // the 5000-byte answer, truncated
    const next = await h.call(
      "GET",
      `${realm}/webhooks/${hook.id}/deliveries?limit=100&cursor=${during.body.nextCursor}`,
    );
    expect(next.body.data).toHaveLength(6);
    receiver.mode = 200;
    await deliverUntil(() => receiver.unique().length === 10, "all ten events");
    const amounts = receiver
      .unique()
      .map((e) => e.body.data.delta)
      .sort((a, b) => a - b);
    expect(amounts).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(
      receiver
        .unique()
        .map((e) => e.body.data.sequence)
        .sort((a, b) => a - b),
    ).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const after = await h.call("GET", `${realm}/webhooks/${hook.id}/deliveries?limit=100`);
    expect(after.body.data.every((d: { status: string }) => d.status === "succeeded")).toBe(true);
  });

  it("signs with both secrets during a rotation", async () => {
    const hook = await subscribe();
    const rotated = await h.call("POST", `${realm}/webhooks/${hook.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(hook.secret);
    const overlap = Date.parse(rotated.body.previousSecretExpiresAt) - Date.now();
    expect(overlap).toBeGreaterThan(23.9 * 3600_000);
    expect(overlap).toBeLessThanOrEqual(24 * 3600_000);
    await credit("ada", 1);
    await deliverUntil(() => receiver.received.length === 1, "the event");
    const [event] = receiver.received;
    expect(event?.signature.split(" ")).toHaveLength(2);
    // a receiver holding only the old secret, and one holding only the new one, both accept the same request
    const { Webhook } = await import("standardwebhooks");
    const headers = {
      "webhook-id": event?.id ?? "",
      "webhook-timestamp": event?.timestamp ?? "",
      "webhook-signature": event?.signature ?? "",
    };
    expect(new Webhook(hook.secret).verify(event?.raw ?? "", headers)).toMatchObject({ type: "balance.changed" });
    expect(new Webhook(rotated.body.secret).verify(event?.raw ?? "", headers)).toMatchObject({
      type: "balance.changed",
    });
    expect(() =>
      new Webhook(`whsec_${Buffer.alloc(24, 1).toString("base64")}`).verify(event?.raw ?? "", headers),
    ).toThrow();
    // once the overlap ends only the new secret signs
    await h.t.db.execute(sql`UPDATE webhook_endpoints SET previous_secret_expires_at = now() - interval '1 second'`);
    receiver.secrets.splice(0, receiver.secrets.length, rotated.body.secret);
    await credit("ada", 1);
    await deliverUntil(() => receiver.received.length === 2, "the second event");
    expect(receiver.received[1]?.signature.split(" ")).toHaveLength(1);
  });

  it("sends nothing to a disabled endpoint, and disables one that keeps failing", async () => {
    const off = await subscribe();
    await h.call("PATCH", `${realm}/webhooks/${off.id}`, { body: { enabled: false } });
    await credit("ada", 1);
    await deliverDue(h.t.db, fast);
    expect(receiver.received).toHaveLength(0);
    expect(await count("webhook_deliveries")).toBe(0);

    const on = await h.call("PATCH", `${realm}/webhooks/${off.id}`, { body: { enabled: true } });
    expect(on.body).toMatchObject({ enabled: true, disabledReason: null });
    receiver.mode = 500;
    await credit("ada", 1);
    // fails for longer than the (shortened) three days: disabled, and says why
    await until(async () => {
      await deliverDue(h.t.db, { ...fast, disableAfterMs: 300 });
      return !(await h.call("GET", `${realm}/webhooks/${off.id}`)).body.enabled;
    }, "the endpoint to be disabled");
    const disabled = await h.call("GET", `${realm}/webhooks/${off.id}`);
    expect(disabled.body).toMatchObject({ enabled: false, disabledReason: expect.stringContaining("failed since") });
    receiver.mode = 200;
    await credit("ada", 1);
    await deliverDue(h.t.db, fast);
    expect(receiver.received).toHaveLength(0);
  });

  it("marks a delivery failed when its retry window closes, and redelivers it with the same webhook-id", async () => {
    const hook = await subscribe();
    receiver.mode = 500;
    await credit("ada", 1);
    await until(async () => {
      await deliverDue(h.t.db, { ...fast, retryWindowMs: 200 });
      const page = await h.call("GET", `${realm}/webhooks/${hook.id}/deliveries`);
      return page.body.data[0]?.status === "failed";
    }, "the delivery to fail");
    const [failed] = (await h.call("GET", `${realm}/webhooks/${hook.id}/deliveries`)).body.data;
    expect(failed).toMatchObject({ status: "failed", lastStatusCode: 500, nextAttemptAt: null });
    receiver.mode = 200;
    const again = await h.call("POST", `${realm}/webhooks/${hook.id}/deliveries/${failed.id}/redeliver`);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ eventId: failed.eventId, status: "pending" });
    await deliverUntil(() => receiver.received.length === 1, "the redelivery");
    expect(receiver.received[0]?.id).toBe(failed.eventId);
    expect(receiver.received[0]?.body.data).toMatchObject({ delta: 1, sequence: 1 });
    const missing = await h.call("POST", `${realm}/webhooks/${hook.id}/deliveries/999/redeliver`);
    expect(missing.status).toBe(404);
  });

  it("does not follow redirects: a 3xx is a failed attempt", async () => {
    const hook = await subscribe();
    receiver.mode = 302;
    await credit("ada", 1);
    await deliverDue(h.t.db, fast);
    const [delivery] = (await h.call("GET", `${realm}/webhooks/${hook.id}/deliveries`)).body.data;
    expect(delivery).toMatchObject({ status: "pending", lastStatusCode: 302, lastError: "answered HTTP 302" });
  });

  it("sends webhook.test on request, and DELETE removes the endpoint", async () => {
    const hook = await subscribe({ events: ["balance.changed"] });
    const queued = await h.call("POST", `${realm}/webhooks/${hook.id}/test`);
    expect(queued.status).toBe(202);
    await deliverUntil(() => receiver.received.length === 1, "the test event");
    expect(receiver.received[0]?.body).toMatchObject({ type: "webhook.test", data: { webhookId: hook.id } });
    expect((await h.call("DELETE", `${realm}/webhooks/${hook.id}`)).status).toBe(204);
    expect((await h.call("GET", `${realm}/webhooks`)).body.data).toEqual([]);
    expect(await count("webhook_deliveries")).toBe(0);
  });
});
