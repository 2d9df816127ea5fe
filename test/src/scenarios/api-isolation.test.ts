import { queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BOOTSTRAP_KEY, type Harness, startHarness } from "../harness.ts";
import {
  type ExampleRequest,
  isPublic,
  type Json,
  type Operation,
  operationsOf,
  pressAll,
  urlOf,
  withIds,
} from "../openapi-requests.ts";

/**
 * The realm-isolation matrix, generated from the OpenAPI document: every authenticated operation, sent with its
 * documented example but the wrong credentials or another realm's ids, is refused (401/403/404) and changes nothing.
 */
let h: Harness;
let ops: Operation[];
const other = { realm: "other", key: "", userId: "u-other", accountId: "", currencyId: "" };
let revokedKey = "";
/** Ids the server generated while seeding (webhooks, deliveries), by the path that answered them. */
let ids: Record<string, string> = {};

/** Everything a request could change, per realm. */
async function snapshot() {
  const rows = await queryRows<Record<string, string>>(
    h.t.db,
    sql`SELECT r.id,
      (SELECT count(*) FROM ledger_entries e WHERE e.realm_id = r.id)::text AS entries,
      (SELECT count(*) FROM accounts a WHERE a.realm_id = r.id)::text AS accounts,
      (SELECT count(*) FROM credentials c WHERE c.realm_id = r.id)::text AS credentials,
      (SELECT count(*) FROM currencies c WHERE c.realm_id = r.id)::text AS currencies,
      (SELECT count(*) FROM idempotency_keys k WHERE k.realm_id = r.id)::text AS keys,
      (SELECT coalesce(sum(b.balance), 0) FROM balances b JOIN accounts a ON a.id = b.account_id
        WHERE a.realm_id = r.id)::text AS balance,
      (SELECT string_agg(coalesce(a.name, '') || coalesce(a.email, '') || coalesce(a.metadata::text, ''), ',' ORDER BY a.id)
        FROM accounts a WHERE a.realm_id = r.id) AS users
    FROM realms r ORDER BY r.id`,
  );
  return rows;
}

beforeAll(async () => {
  h = await startHarness({ rateLimit: false, authLimits: { failuresPerAddress: 10_000, windowMs: 60_000 } });
  ops = operationsOf((await h.call("GET", "/docs/json")).body).filter(({ op }) => !isPublic(op));
  // Realm default holds what the examples name (pressed once, in order); realm other has its own user, key, balance.
  ids = (
    await pressAll(ops, async (operation, url, request) => {
      const res = await h.call(operation.method.toUpperCase(), url, { body: request.body });
      expect(res.status, `seeding ${operation.method} ${operation.path}`).toBeLessThan(300);
      return res;
    })
  ).ids;
  await h.core.createRealm({ id: other.realm, name: "Other" });
  other.key = (await h.core.createApiKey(other.realm, { name: "other" })).key;
  const ctx = { realmId: other.realm, initiator: { type: "cli" as const, id: "test" }, via: "cli" as const };
  other.accountId = (await h.core.createUser(ctx, { userId: other.userId, email: "ada@example.com" })).id;
  await h.core.adjust(ctx, { subject: { kind: "user", userId: other.userId }, amount: 50 });
  other.currencyId = (await h.core.createCurrency(other.realm, { name: "other-gems" })).id;
  const revoked = await h.core.createApiKey("default", { name: "revoked" });
  await h.core.revokeApiKey("default", revoked.apiKey.id);
  revokedKey = revoked.key;
});
afterAll(() => h.close());

type Case = { name: string; auth?: string | null; request: ExampleRequest; expect: number[] };

function casesOf(operation: Operation): Case[] {
  const base = withIds(operation, ids);
  // No idempotency key: a replay would answer 2xx and hide a leak.
  const request = { ...base, headers: {} };
  const params = Object.keys(request.params);
  const cases: Case[] = [
    { name: "no key", auth: null, request, expect: [401] },
    { name: "an unknown key", auth: "tly_unknown_0000000000000000", request, expect: [401] },
    { name: "a revoked key", auth: revokedKey, request, expect: [401] },
  ];
  if (params.includes("realmId")) {
    cases.push({ name: "another realm's key", auth: other.key, request, expect: [403] });
    cases.push({
      name: "another realm's id in the path",
      request: { ...request, params: { ...request.params, realmId: other.realm } },
      expect: [403],
    });
  }
  if (params.includes("user_id")) {
    cases.push({ name: "another realm's key on a user", auth: other.key, request, expect: [404] });
    cases.push({
      name: "another realm's user in the path",
      request: { ...request, params: { ...request.params, user_id: other.userId } },
      expect: [404],
    });
  }
  const queryNames = (operation.op.parameters ?? [])
    .filter((p: Json) => p.in === "query")
    .map((p: Json) => p.name as string);
  if (queryNames.includes("realmPointId")) {
    cases.push({
      name: "another realm's currency in the query",
      request: { ...request, query: { ...request.query, realmPointId: other.currencyId } },
      // A filter that matches nothing in this realm is an empty page (checked below), never the other realm's data.
      expect: operation.method === "get" ? [404, 200] : [404],
    });
  }
  if (queryNames.includes("accountId")) {
    cases.push({
      name: "another realm's account in the query",
      request: { ...request, query: { ...request.query, accountId: other.accountId } },
      expect: [404, 200],
    });
  }
  const body = request.body as Record<string, unknown> | undefined;
  if (body && typeof body === "object") {
    const properties = Object.keys(schemaOf(operation)?.properties ?? {});
    if (properties.includes("realmPointId")) {
      cases.push({
        name: "another realm's currency in the body",
        request: { ...request, body: { ...body, realmPointId: other.currencyId } },
        expect: [404],
      });
    }
    if ("userId" in body) {
      cases.push({
        name: "another realm's user in the body",
        request: { ...request, body: { userId: other.userId } },
        expect: [404],
      });
      cases.push({
        name: "another realm's account in the body",
        request: { ...request, body: { accountId: other.accountId } },
        expect: [404],
      });
    }
  }
  return cases;
}

const schemaOf = ({ op }: Operation): Json => {
  const schema = op.requestBody?.content?.["application/json"]?.schema;
  return schema?.anyOf ? Object.assign({}, ...schema.anyOf) : schema;
};

describe("realm isolation, generated from the OpenAPI document", () => {
  it("covers every authenticated operation", () => {
    expect(ops.length).toBeGreaterThanOrEqual(18);
  });

  it("refuses every route with a missing, unknown or revoked key, or another realm's key or ids, and changes nothing", async () => {
    let checked = 0;
    for (const operation of ops) {
      for (const c of casesOf(operation)) {
        const before = await snapshot();
        const url = urlOf(operation.path, c.request);
        const res = await h.call(operation.method.toUpperCase(), url, {
          body: c.request.body,
          auth: c.auth === undefined ? BOOTSTRAP_KEY : c.auth,
        });
        const where = `${operation.method.toUpperCase()} ${operation.path} with ${c.name}: ${JSON.stringify(res.body)}`;
        expect(c.expect, where).toContain(res.status);
        if (res.status === 200) expect(res.body.data, where).toEqual([]);
        expect(await snapshot(), where).toEqual(before);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(ops.length * 3);
  });

  it("another realm's key on the credit routes sees only its own realm", async () => {
    const list = await h.call("GET", "/users", { auth: other.key });
    expect(list.status).toBe(200);
    expect(list.body.users.map((u: { user_id: string }) => u.user_id)).toEqual([other.userId]);
  });
});

describe("mass assignment", () => {
  const injected = { balance: 1_000_000, realmId: "other", id: "injected-id", accountId: "injected-account" };

  it("rejects or ignores balance, realmId, id and accountId where they are not inputs, and never stores them", async () => {
    const writes = ops.filter(({ op }) => op.requestBody);
    expect(writes.length).toBeGreaterThanOrEqual(8);
    for (const operation of writes) {
      const request = withIds(operation, ids);
      const inputs = new Set(Object.keys(schemaOf(operation)?.properties ?? {}));
      const extra = Object.fromEntries(Object.entries(injected).filter(([field]) => !inputs.has(field)));
      const example = request.body as Record<string, unknown>;
      // A fresh user, so that creating one is not a duplicate of the example's.
      const fresh = operation.method === "post" && "user_id" in example ? { user_id: "u-mass", email: undefined } : {};
      const body = { ...example, ...fresh, ...extra };
      const before = await snapshot();
      const res = await h.call(operation.method.toUpperCase(), urlOf(operation.path, request), {
        body,
        headers: { "idempotency-key": `mass-${operation.method}-${operation.path}` },
      });
      const where = `${operation.method.toUpperCase()} ${operation.path}: ${JSON.stringify(res.body)}`;
      if (res.status === 400) {
        expect(String(res.body.message), where).toMatch(/is not a known field/);
        expect(await snapshot(), where).toEqual(before);
      } else {
        expect(res.status, where).toBeLessThan(300);
        const text = JSON.stringify(res.body);
        expect(text, where).not.toContain("injected-id");
        expect(text, where).not.toContain("injected-account");
        expect(text, where).not.toContain("1000000");
      }
    }
    const stored = await queryRows<{ n: string }>(
      h.t.db,
      sql`SELECT count(*)::text AS n FROM accounts WHERE id IN ('injected-id', 'injected-account')
          OR (realm_id = 'other' AND user_id <> ${other.userId})`,
    );
    expect(stored[0]?.n).toBe("0");
    const balances = await queryRows<{ b: string }>(h.t.db, sql`SELECT max(balance)::text AS b FROM balances`);
    expect(BigInt(balances[0]?.b ?? "0")).toBeLessThan(1_000_000n);
  });
});
