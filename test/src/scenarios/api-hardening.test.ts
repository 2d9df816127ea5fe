import { JsonDecimal, MAX_MINOR, normalizeIdentifier, toJsonAmount } from "@tally/core";
import { queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BOOTSTRAP_KEY, type Harness, startHarness } from "../harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const realm = "/api/v1/realms/default";
const count = async (table: "ledger_entries" | "accounts" | "credentials" | "currencies") =>
  Number((await queryRows<{ n: string }>(h.t.db, sql.raw(`SELECT count(*)::text AS n FROM ${table}`)))[0]?.n);

/** Sends a raw JSON text, so numbers and escapes reach the server exactly as written. */
async function raw(method: string, path: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${h.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${BOOTSTRAP_KEY}`, "content-type": "application/json", ...headers },
    body,
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, text, body: json as Record<string, unknown> };
}

describe("conventions a client relies on", () => {
  it("answers 401 with WWW-Authenticate: Bearer in both dialects", async () => {
    for (const path of ["/users", `${realm}/currencies`]) {
      for (const auth of [null, "tly_unknown_key_000000"]) {
        const res = await h.call("GET", path, { auth });
        expect(res.status).toBe(401);
        expect(res.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
      }
    }
    expect((await h.call("GET", "/users", { auth: null })).body).toEqual({ message: expect.any(String) });
    expect((await h.call("GET", `${realm}/currencies`, { auth: null })).body).toMatchObject({ error: "UNAUTHORIZED" });
  });

  it("names the field in validation messages, in each route's dialect", async () => {
    const patch = (query: string, body: unknown) => h.call("PATCH", `${realm}/credentials/balance?${query}`, { body });
    expect((await patch("type=email&value=a@b.io", { amount: 1.5 })).body).toEqual({
      error: "VALIDATION",
      message: "body.amount must be an integer",
    });
    expect((await patch("type=email&value=a@b.io", {})).body.message).toBe("body.amount is required");
    expect((await patch("type=email", { amount: 1 })).body.message).toBe("query.value is required");
    expect((await patch("type=phone&value=1", { amount: 1 })).body.message).toMatch(/^query\.type must be one of /);
    expect((await patch("type=email&value=a@b.io", { amount: 1, balance: 5 })).body.message).toBe(
      "body.balance is not a known field",
    );
    const page = await h.call("GET", "/users?limit=0");
    expect(page).toMatchObject({ status: 400, body: { message: "query.limit must be at least 1" } });
    expect(Object.keys(page.body)).toEqual(["message"]);
  });

  it("carries x-request-id on every response, echoing a sane one the client sent", async () => {
    const mine = await h.call("GET", "/users", { headers: { "x-request-id": "client-trace.42" } });
    expect(mine.headers.get("x-request-id")).toBe("client-trace.42");
    const insane = await h.call("GET", "/users", { headers: { "x-request-id": "has spaces\tand tabs" } });
    expect(insane.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    for (const res of [await h.call("GET", "/nope"), await h.call("GET", "/users", { auth: null })]) {
      expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it("sends a browser at / to the documentation", async () => {
    const res = await fetch(`${h.url}/`, { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/docs");
    expect((await fetch(`${h.url}/`)).url).toMatch(/\/docs\/?$/);
  });
});

describe("amounts are exact at the top of the range", () => {
  const credit = (text: string) => raw("PUT", "/users/u1/credits", `{"credit_delta": ${text}}`);
  const stored = async () =>
    (await queryRows<{ b: string }>(h.t.db, sql`SELECT balance::text AS b FROM balances ORDER BY updated_at DESC`))[0]
      ?.b;

  beforeEach(async () => {
    expect((await h.call("POST", "/users", { body: { user_id: "u1" } })).status).toBe(201);
  });

  it("books the probes' amounts to the exact minor unit and answers them exactly", async () => {
    await h.core.createCurrency("default", { name: "cents", scale: 2, isDefault: true });
    const cents = await credit("76171785121845.93");
    expect(cents.status).toBe(200);
    expect(cents.text).toBe('{"message":"resource updated successfully","credit_balance":76171785121845.93}');
    expect(await stored()).toBe("7617178512184593");
    await h.core.createCurrency("default", { name: "micros", scale: 6, isDefault: true });
    const micros = await credit("8768870866.716891");
    expect(micros.text).toContain('"credit_balance":8768870866.716891');
    expect(await stored()).toBe("8768870866716891");
    const read = await fetch(`${h.url}/users/u1/credits`, { headers: { authorization: `Bearer ${BOOTSTRAP_KEY}` } });
    expect(await read.text()).toContain('"credit_balance":8768870866.716891');
  });

  it("sweeps the edge at every scale: the largest amount is exact, one unit more or one digit more is refused", async () => {
    for (let scale = 0; scale <= 6; scale++) {
      await h.core.createCurrency("default", { name: `scale-${scale}`, scale, isDefault: true });
      const text = (minor: bigint) => {
        const json = toJsonAmount(minor, scale);
        return json instanceof JsonDecimal ? json.text : String(json);
      };
      const top = await credit(text(MAX_MINOR));
      expect(top.status, `scale ${scale}`).toBe(200);
      expect(top.text).toContain(`"credit_balance":${text(MAX_MINOR)}`);
      expect(await stored()).toBe(MAX_MINOR.toString());
      // back down one minor unit at a time near the edge: each lands exactly
      for (const step of [1n, 7n, 10n]) {
        const down = await credit(`-${text(step)}`);
        expect(down.status).toBe(200);
      }
      expect(await stored()).toBe((MAX_MINOR - 18n).toString());
      const entries = await count("ledger_entries");
      expect((await credit(text(MAX_MINOR + 1n))).status).toBe(422);
      expect((await credit(`${text(MAX_MINOR - 18n)}${scale === 0 ? ".5" : "1"}`)).status).toBe(422);
      expect(await count("ledger_entries")).toBe(entries);
    }
  });

  it("refuses on the realm routes what a double would have rounded to a whole number", async () => {
    const patch = (amount: string) =>
      raw("PATCH", `${realm}/credentials/balance?type=email&value=a@b.io`, `{"amount": ${amount}}`);
    expect((await patch("1.0000000000000001")).body).toEqual({
      error: "VALIDATION",
      message: "body.amount must be an integer",
    });
    expect((await patch("9007199254740993")).body).toMatchObject({ error: "INVALID_AMOUNT" });
    expect((await patch("1e2")).body).toMatchObject({ balance: 100 });
    expect(await count("ledger_entries")).toBe(1);
  });
});

describe("bad input is a 400 in the route's dialect, never a 5xx, and changes nothing", () => {
  it.each([
    ["a NUL in a credit path", "PUT", "/users/a%00b/credits", '{"credit_delta":1}', "credit"],
    [
      "a NUL in a realm path",
      "PATCH",
      `/api/v1/realms/def%00ault/credentials/balance?type=email&value=a@b.io`,
      '{"amount":1}',
      "realm",
    ],
    [
      "a NUL in a query",
      "PATCH",
      `${realm}/credentials/balance?type=custom&source=x&value=a%00b`,
      '{"amount":1}',
      "realm",
    ],
    ["a NUL in a body string", "POST", "/users", '{"user_id":"u2","name":"a\\u0000b"}', "credit"],
    ["a NUL in a nested body field", "POST", "/users", '{"user_id":"u2","metadata":{"a":["x\\u0000"]}}', "credit"],
    ["a NUL in a field name", "POST", "/users", '{"user_id":"u2","metadata":{"a\\u0000":1}}', "credit"],
    [
      "a NUL in a realm body",
      "PATCH",
      `${realm}/credentials/balance?type=email&value=a@b.io`,
      '{"amount":1,"initiatorId":"\\u0000"}',
      "realm",
    ],
    ["a lone surrogate", "POST", "/users", '{"user_id":"u2","name":"\\ud800"}', "credit"],
    [
      "a 100k-deep array (credit)",
      "PUT",
      "/users/u1/credits",
      `${"[".repeat(100_000)}${"]".repeat(100_000)}`,
      "credit",
    ],
    [
      "a 100k-deep array (realm)",
      "PATCH",
      `${realm}/credentials/balance?type=email&value=a@b.io`,
      `${"[".repeat(100_000)}${"]".repeat(100_000)}`,
      "realm",
    ],
    [
      "a 40k-deep object (past that the body limit answers 413)",
      "PATCH",
      `${realm}/credentials/transaction`,
      `${'{"a":'.repeat(40_000)}1${"}".repeat(40_000)}`,
      "realm",
    ],
    ["a __proto__ field", "POST", "/users", '{"user_id":"u2","__proto__":{"admin":true}}', "credit"],
  ])("%s", async (_name, method, path, body, dialect) => {
    const before = [await count("ledger_entries"), await count("accounts"), await count("credentials")];
    const res = await raw(method, path, body);
    expect(res.status).toBe(400);
    if (dialect === "credit") expect(Object.keys(res.body)).toEqual(["message"]);
    else expect(res.body).toEqual({ error: "VALIDATION", message: expect.any(String) });
    expect(String(res.body.message)).not.toMatch(/internal|wrong on our side/i);
    expect([await count("ledger_entries"), await count("accounts"), await count("credentials")]).toEqual(before);
  });

  it("names the field holding a NUL", async () => {
    const res = await raw("PUT", "/users/u1", '{"metadata":{"tags":["ok","bad\\u0000"]}}');
    expect(res.body).toEqual({ message: "body.metadata.tags.1 must not contain NUL characters" });
  });
});

describe("identifiers that look the same are one credential", () => {
  const credit = (type: string, value: string, source?: string) =>
    h.call(
      "PATCH",
      `${realm}/credentials/balance?type=${type}&value=${encodeURIComponent(value)}${source ? `&source=${encodeURIComponent(source)}` : ""}`,
      { body: { amount: 1 } },
    );

  it.each([
    ["a zero-width space inside an email", "email", "ada@example.com", "a\u200bda@exam\u200cple.com"],
    ["NFD and NFC", "email", "jos\u00e9@example.com", "jose\u0301@example.com"],
    ["fullwidth letters", "email", "ada@example.com", "ａｄａ@ｅｘａｍｐｌｅ.ｃｏｍ"],
    ["a BOM and a control character", "custom", "U123", "\ufeffU1\u000723"],
  ])("%s", async (_name, type, plain, lookalike) => {
    const first = await credit(type, plain, type === "custom" ? "slack" : undefined);
    const second = await credit(type, lookalike, type === "custom" ? "Slack" : undefined);
    expect(first.status).toBe(200);
    expect(second.body).toMatchObject({ credentialId: first.body.credentialId, balance: 2 });
    expect(await count("credentials")).toBe(1);
    expect(normalizeIdentifier(type, lookalike, type === "custom" ? "SLACK" : undefined).value).toBe(
      first.body.identifier,
    );
  });
});

describe("every write honours Idempotency-Key", () => {
  const create = (body: unknown, key: string) =>
    h.call("POST", "/users", { body, headers: { "idempotency-key": key } });

  it("10 concurrent retries of POST /users create one user; a different body with the key is 409", async () => {
    const body = { user_id: "u-idem", email: "idem@example.com", name: "Idem" };
    const results = await Promise.all(Array.from({ length: 10 }, () => create(body, "create-once")));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(results.filter((r) => r.headers.get("idempotent-replayed") === "true")).toHaveLength(9);
    expect(new Set(results.map((r) => r.body.user.klaim_id)).size).toBe(1);
    expect(results.every((r) => r.body.user.created_at === results[0]?.body.user.created_at)).toBe(true);
    expect(await count("accounts")).toBe(1);
    const sequential = await create(body, "create-once");
    expect(sequential.headers.get("idempotent-replayed")).toBe("true");
    const other = await create({ ...body, name: "Someone else" }, "create-once");
    expect(other).toMatchObject({ status: 409, body: { message: expect.stringContaining("idempotency key") } });
    expect(await count("accounts")).toBe(1);
  });

  it("a refused create leaves its key free", async () => {
    expect((await create({ user_id: "taken" }, "k1")).status).toBe(201);
    expect((await create({ user_id: "taken" }, "k2")).status).toBe(409);
    const retry = await create({ user_id: "free" }, "k2");
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
  });

  it("PUT /users/{id} and POST currencies replay too", async () => {
    await create({ user_id: "u3" }, "k-create");
    const update = () =>
      h.call("PUT", "/users/u3", { body: { name: "Once" }, headers: { "idempotency-key": "k-update" } });
    expect((await update()).status).toBe(200);
    const again = await update();
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.user.name).toBe("Once");
    const currency = () =>
      h.call("POST", `${realm}/currencies`, { body: { name: "gems" }, headers: { "idempotency-key": "k-gems" } });
    const first = await currency();
    const second = await currency();
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(await count("currencies")).toBe(2);
  });
});
