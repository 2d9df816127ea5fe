import { queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "../harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const entryCount = async () =>
  Number((await queryRows<{ n: string }>(h.t.db, sql`SELECT count(*)::text AS n FROM ledger_entries`))[0]?.n);

describe("PUT /users/{user_id}/credits (fixed contract)", () => {
  beforeEach(async () => {
    expect((await h.call("POST", "/users", { body: { user_id: "u1", email: "U1@Example.com" } })).status).toBe(201);
  });

  it("adds and deducts, answering exactly the vendor's body", async () => {
    const up = await h.call("PUT", "/users/u1/credits", { body: { credit_delta: 706, description: "signup" } });
    expect(up.status).toBe(200);
    expect(up.body).toEqual({ message: "resource updated successfully", credit_balance: 706 });
    const down = await h.call("PUT", "/users/u1/credits", { body: { credit_delta: -6 } });
    expect(down.body).toEqual({ message: "resource updated successfully", credit_balance: 700 });
    const read = await h.call("GET", "/users/u1/credits");
    expect(read.body).toEqual({ message: "fetch resource successfully", credit_balance: 700 });
    expect((await h.call("POST", "/users/u1/credits")).body).toEqual(read.body);
  });

  it.each([
    ["a missing body", undefined, undefined],
    ["malformed JSON", '{"credit_delta": ', "application/json"],
    ["credit_delta missing", "{}", "application/json"],
    ["credit_delta as a string", '{"credit_delta":"10"}', "application/json"],
    ["credit_delta null", '{"credit_delta":null}', "application/json"],
    ["a JSON array", "[1]", "application/json"],
    ["a form body", "credit_delta=10", "application/x-www-form-urlencoded"],
    ["description not a string", '{"credit_delta":1,"description":5}', "application/json"],
  ])("400 Invalid JSON for %s, writing nothing", async (_name, rawBody, type) => {
    const res = await h.call("PUT", "/users/u1/credits", { rawBody, headers: type ? { "content-type": type } : {} });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ message: "Invalid JSON format in request body" });
    expect(await entryCount()).toBe(0);
  });

  it("404 with the vendor's message for an unknown user", async () => {
    const res = await h.call("PUT", "/users/ghost/credits", { body: { credit_delta: 1 } });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ message: "Can not find user with the given user_id." });
    expect((await h.call("GET", "/users/ghost/credits")).status).toBe(404);
  });

  it.each([
    [-1, "Insufficient balance"],
    [0, "must not be zero"],
    [1.5, "whole number"],
    [2 ** 53, "too large"],
  ])("422 with a clear message for credit_delta %s, writing nothing", async (delta, message) => {
    const res = await h.call("PUT", "/users/u1/credits", { body: { credit_delta: delta } });
    expect(res.status).toBe(422);
    expect(res.body.message).toContain(message);
    expect(Object.keys(res.body)).toEqual(["message"]);
    expect(await entryCount()).toBe(0);
  });

  it("ignores unknown body fields and never stores them", async () => {
    const res = await h.call("PUT", "/users/u1/credits", { body: { credit_delta: 3, evil: "x".repeat(100) } });
    expect(res.status).toBe(200);
    const rows = await queryRows<{ t: string }>(h.t.db, sql`SELECT row_to_json(e)::text AS t FROM ledger_entries e`);
    expect(rows[0]?.t).not.toContain("xxxx");
  });

  it("shares one balance with the realm route's email credential", async () => {
    await h.call("PUT", "/users/u1/credits", { body: { credit_delta: 10 } });
    const viaRealm = await h.call(
      "PATCH",
      "/api/v1/realms/default/credentials/balance?type=email&value=u1@example.com",
      {
        body: { amount: 5 },
      },
    );
    expect(viaRealm.body).toMatchObject({ balance: 15, linked: true, identifier: "u1@example.com" });
    expect((await h.call("GET", "/users/u1/credits")).body.credit_balance).toBe(15);
  });

  it("replays an Idempotency-Key and refuses it for a different body", async () => {
    const headers = { "idempotency-key": "order-42" };
    const first = await h.call("PUT", "/users/u1/credits", { body: { credit_delta: 5 }, headers });
    const again = await h.call("PUT", "/users/u1/credits", { body: { credit_delta: 5 }, headers });
    expect(again.body).toEqual(first.body);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    const other = await h.call("PUT", "/users/u1/credits", { body: { credit_delta: 6 }, headers });
    expect(other.status).toBe(409);
    expect(await entryCount()).toBe(1);
  });
});

describe("users companions", () => {
  it("creates, reads (GET and POST alias), updates, pages and lists transactions", async () => {
    const created = await h.call("POST", "/users", { body: { email: "a@b.io", name: "Ada", metadata: { tier: 1 } } });
    expect(created.status).toBe(201);
    const id = created.body.user_id;
    expect(id).toMatch(/^[0-9a-f]{24}$/);
    expect((await h.call("POST", "/users", { body: { user_id: id } })).status).toBe(409);
    const read = await h.call("GET", `/users/${id}`);
    expect(read.body.user).toMatchObject({
      user_id: id,
      email: "a@b.io",
      name: "Ada",
      metadata: { tier: 1 },
      credit_balance: 0,
    });
    expect((await h.call("POST", `/users/${id}`)).body).toEqual(read.body);
    const updated = await h.call("PUT", `/users/${id}`, { body: { name: "Ada L." } });
    expect(updated.body.user.name).toBe("Ada L.");
    for (let i = 0; i < 3; i++) await h.call("POST", "/users", { body: { user_id: `p${i}` } });
    const page1 = await h.call("GET", "/users?limit=2");
    const page2 = await h.call("GET", `/users?limit=2&cursor=${page1.body.next_cursor}`);
    expect([...page1.body.users, ...page2.body.users]).toHaveLength(4);
    expect(page2.body.next_cursor).toBeNull();
    await h.call("PUT", `/users/${id}/credits`, { body: { credit_delta: 2, description: "hello" } });
    const tx = await h.call("GET", `/users/${id}/transactions`);
    expect(tx.body.transactions).toEqual([
      expect.objectContaining({ amount: 2, balanceAfter: 2, description: "hello", via: "api", kind: "adjust" }),
    ]);
  });
});

describe("auth", () => {
  it("401 without a key or with an unknown one; never a 200", async () => {
    const none = await h.call("GET", "/users", { auth: null });
    expect(none.status).toBe(401);
    expect(none.body.message).toContain("Bearer");
    expect((await h.call("GET", "/users", { auth: "tly_nope" })).status).toBe(401);
  });

  it("403 when a key is used on another realm's route", async () => {
    const realm = await h.core.createRealm({ name: "Other", id: "other" });
    const { key } = await h.core.createApiKey(realm.id, { name: "other" });
    const res = await h.call("PATCH", "/api/v1/realms/default/credentials/balance?type=email&value=a@b.io", {
      body: { amount: 1 },
      auth: key,
    });
    expect(res.status).toBe(403);
    expect(res.body.error).toBe("FORBIDDEN");
    expect(await entryCount()).toBe(0);
  });
});
