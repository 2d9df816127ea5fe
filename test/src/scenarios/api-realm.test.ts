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

const realm = "/api/v1/realms/default";
const balance = (query: string, body: unknown, headers?: Record<string, string>) =>
  h.call("PATCH", `${realm}/credentials/balance?${query}`, { body, headers });
const entryCount = async () =>
  Number((await queryRows<{ n: string }>(h.t.db, sql`SELECT count(*)::text AS n FROM ledger_entries`))[0]?.n);

describe("PATCH credentials/balance (fixed contract)", () => {
  it("creates an unknown credential on credit as a ghost and answers exactly the five fields", async () => {
    const res = await balance("type=discord-id&value=123456789012345678", { amount: 25 });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(["balance", "credentialId", "identifier", "linked", "realmPointId"]);
    const [points] = await h.core.currencies("default");
    expect(res.body).toEqual({
      credentialId: expect.stringMatching(/^[0-9a-f]{24}$/),
      identifier: "123456789012345678",
      balance: 25,
      realmPointId: points?.id,
      linked: false,
    });
    const debit = await balance("type=discord-id&value=123456789012345678", { amount: -5, realmPointId: points?.id });
    expect(debit.body).toMatchObject({ balance: 20, credentialId: res.body.credentialId });
  });

  it("normalises email and wallet identifiers, and requires source for custom", async () => {
    const email = await balance("type=email&value=%20Ada@Example.COM", { amount: 1 });
    expect(email.body.identifier).toBe("ada@example.com");
    const wallet = await balance("type=wallet&value=0xABCDEF0123456789ABCDEF0123456789ABCDEF01", { amount: 1 });
    expect(wallet.body.identifier).toBe("0xabcdef0123456789abcdef0123456789abcdef01");
    const noSource = await balance("type=custom&value=42", { amount: 1 });
    expect(noSource.status).toBe(400);
    expect(noSource.body).toEqual({ error: "VALIDATION", message: expect.stringContaining("source") });
    const custom = await balance("type=custom&value=42&source=shopify", { amount: 3 });
    expect(custom.body).toMatchObject({ identifier: "42", balance: 3 });
  });

  it.each([
    ["an unknown type", "type=phone&value=1", { amount: 1 }, 400, "VALIDATION"],
    ["a short snowflake", "type=discord-id&value=123", { amount: 1 }, 400, "VALIDATION"],
    ["a missing value", "type=email", { amount: 1 }, 400, "VALIDATION"],
    ["a fractional amount", "type=email&value=a@b.io", { amount: 1.5 }, 400, "VALIDATION"],
    ["a string amount", "type=email&value=a@b.io", { amount: "5" }, 400, "VALIDATION"],
    ["a missing amount", "type=email&value=a@b.io", {}, 400, "VALIDATION"],
    ["an unknown field", "type=email&value=a@b.io", { amount: 1, admin: true }, 400, "VALIDATION"],
    ["a zero amount", "type=email&value=a@b.io", { amount: 0 }, 422, "INVALID_AMOUNT"],
    ["a huge amount", "type=email&value=a@b.io", { amount: 2 ** 60 }, 422, "INVALID_AMOUNT"],
    ["a debit of an unknown credential", "type=email&value=a@b.io", { amount: -1 }, 404, "NOT_FOUND"],
    ["an unknown realmPointId", "type=email&value=a@b.io", { amount: 1, realmPointId: "nope" }, 404, "NOT_FOUND"],
    ["a unicode snowflake", "type=discord-id&value=%D9%A1%D9%A2%D9%A3", { amount: 1 }, 400, "VALIDATION"],
  ])("rejects %s with %s %s and writes nothing", async (_name, query, body, status, code) => {
    const res = await balance(query, body);
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ error: code, message: expect.any(String) });
    expect(res.body.message.length).toBeGreaterThan(5);
    expect(await entryCount()).toBe(0);
  });

  it("refuses an overdraft with 422 INSUFFICIENT_BALANCE", async () => {
    await balance("type=email&value=a@b.io", { amount: 3 });
    const res = await balance("type=email&value=a@b.io", { amount: -4 });
    expect(res).toMatchObject({ status: 422, body: { error: "INSUFFICIENT_BALANCE" } });
    expect(await entryCount()).toBe(1);
  });

  it("records initiatorId on the ledger entry", async () => {
    await balance("type=email&value=a@b.io", { amount: 3, initiatorId: "mod-7" });
    const tx = await h.call("GET", `${realm}/transactions`);
    expect(tx.body.data[0]).toMatchObject({ initiator: { type: "api_key", id: "mod-7" }, amount: 3, balanceAfter: 3 });
  });

  it("rejects an oversized body with 413 and malformed JSON with 400", async () => {
    const big = await h.call("PATCH", `${realm}/credentials/balance?type=email&value=a@b.io`, {
      rawBody: JSON.stringify({ amount: 1, initiatorId: "x".repeat(300_000) }),
      headers: { "content-type": "application/json" },
    });
    expect(big.status).toBe(413);
    const bad = await h.call("PATCH", `${realm}/credentials/balance?type=email&value=a@b.io`, {
      rawBody: "{amount: 1}",
      headers: { "content-type": "application/json" },
    });
    expect(bad).toMatchObject({ status: 400, body: { error: "VALIDATION" } });
    expect(await entryCount()).toBe(0);
  });
});

describe("realm companions", () => {
  it("finds, links one way, transfers and batches all-or-nothing", async () => {
    await balance("type=discord-id&value=111111111111111111", { amount: 50 });
    const found = await h.call("GET", `${realm}/credentials/find?type=discord-id&value=111111111111111111`);
    expect(found.body).toMatchObject({ identifier: "111111111111111111", balance: 50, linked: false });
    expect((await h.call("GET", `${realm}/credentials/find?type=email&value=no@one.io`)).status).toBe(404);

    await h.call("POST", "/users", { body: { user_id: "ada" } });
    const link = await h.call("POST", `${realm}/credentials/link?type=discord-id&value=111111111111111111`, {
      body: { userId: "ada" },
    });
    expect(link.body).toMatchObject({ linked: true, moved: [{ balance: 50 }] });
    expect((await h.call("GET", "/users/ada/credits")).body.credit_balance).toBe(50);
    await h.call("POST", "/users", { body: { user_id: "bob" } });
    const relink = await h.call("POST", `${realm}/credentials/link?type=discord-id&value=111111111111111111`, {
      body: { userId: "bob" },
    });
    expect(relink).toMatchObject({ status: 409, body: { error: "CONFLICT" } });

    const transfer = await h.call(
      "PATCH",
      `${realm}/credentials/transfer?fromType=discord-id&fromValue=111111111111111111&toType=email&toValue=c@d.io`,
      { body: { amount: 20 } },
    );
    expect(transfer.body).toMatchObject({ from: { balance: 30, linked: true }, to: { balance: 20, linked: false } });

    const failing = await h.call("PATCH", `${realm}/credentials/transaction`, {
      body: {
        updates: [
          { type: "email", value: "e@f.io", amount: 5 },
          { type: "email", value: "c@d.io", amount: -21 },
        ],
      },
    });
    expect(failing).toMatchObject({ status: 422, body: { error: "INSUFFICIENT_BALANCE" } });
    expect((await h.call("GET", `${realm}/credentials/find?type=email&value=e@f.io`)).status).toBe(404);
    const ok = await h.call("PATCH", `${realm}/credentials/transaction`, {
      body: {
        updates: [
          { type: "email", value: "e@f.io", amount: 5 },
          { type: "email", value: "c@d.io", amount: -20 },
        ],
      },
    });
    expect(ok.body.results.map((r: { balance: number }) => r.balance)).toEqual([5, 0]);
  });

  it("pages the leaderboard and the ledger", async () => {
    for (const [i, amount] of [5, 9, 7].entries()) {
      await balance(`type=discord-id&value=22222222222222222${i}`, { amount });
    }
    const top = await h.call("GET", `${realm}/members/leaderboard?take=2`);
    expect(top.body.data.map((r: { balance: number; rank: number }) => [r.rank, r.balance])).toEqual([
      [1, 9],
      [2, 7],
    ]);
    const rest = await h.call("GET", `${realm}/members/leaderboard?take=2&after=${top.body.nextCursor}`);
    expect(rest.body).toMatchObject({ data: [{ rank: 3, balance: 5 }], nextCursor: null });
    const ledger = await h.call("GET", `${realm}/transactions?limit=2`);
    expect(ledger.body.data.map((e: { amount: number }) => e.amount)).toEqual([7, 9]);
    expect((await h.call("GET", `${realm}/transactions?cursor=${ledger.body.nextCursor}`)).body.data).toHaveLength(1);
  });

  it("creates currencies with a scale and applies decimals through the realm route", async () => {
    const created = await h.call("POST", `${realm}/currencies`, { body: { name: "gems", scale: 2, emoji: "💎" } });
    expect(created).toMatchObject({ status: 201, body: { name: "gems", scale: 2, isDefault: false } });
    const list = await h.call("GET", `${realm}/currencies`);
    expect(list.body.data).toHaveLength(2);
    const res = await h.call("PUT", "/users/x/credits", { body: { credit_delta: 1 } });
    expect(res.status).toBe(404);
    expect((await h.call("POST", `${realm}/currencies`, { body: { name: "gems" } })).status).toBe(409);
  });
});

describe("operations", () => {
  it("serves health, readiness, metrics, OpenAPI 3.1 and a request id on every response", async () => {
    const health = await h.call("GET", "/healthz", { auth: null });
    expect(health).toMatchObject({ status: 200, body: { status: "ok" } });
    expect(health.headers.get("x-request-id")).toMatch(/[0-9a-f-]{36}/);
    expect((await h.call("GET", "/readyz", { auth: null })).status).toBe(200);
    const echoed = await h.call("GET", "/healthz", { auth: null, headers: { "x-request-id": "trace-123" } });
    expect(echoed.headers.get("x-request-id")).toBe("trace-123");
    const metrics = await h.call("GET", "/metrics", { auth: null });
    expect(metrics.body).toContain(
      'tally_http_request_duration_seconds_count{method="GET",route="/healthz",status="200"}',
    );
    const docs = await h.call("GET", "/docs/json", { auth: null });
    expect(docs.body.openapi).toBe("3.1.0");
    expect(Object.keys(docs.body.paths)).toEqual(
      expect.arrayContaining(["/users/{user_id}/credits", "/api/v1/realms/{realmId}/credentials/balance"]),
    );
    expect((await h.call("GET", "/docs", { auth: null })).status).toBe(200);
    const missing = await h.call("GET", "/nope", { auth: null });
    expect(missing).toMatchObject({ status: 404, body: { error: "NOT_FOUND" } });
  });
});
