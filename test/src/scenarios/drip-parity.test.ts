import { deliverDue } from "@tally/core";
import { queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BOOTSTRAP_KEY, type Harness, startHarness } from "../harness.ts";
import { type Receiver, startReceiver, until } from "../webhook-receiver.ts";

/**
 * A client as Drip's docs write one ("Code Examples": a class with `request(method, endpoint, data)` against
 * `baseUrl`), pointed at Tally. The guides' calls are made through it with the paths and bodies of Drip's OpenAPI
 * reference (the guides themselves still show older `/realm/…/point-balance` paths).
 */
class DripClient {
  readonly baseUrl: string;
  constructor(
    readonly apiKey: string,
    readonly realmId: string,
    origin: string,
  ) {
    this.baseUrl = `${origin}/api/v1`;
  }

  // biome-ignore lint/suspicious/noExplicitAny: answers are compared field by field, as a script using the API would
  async request(method: string, endpoint: string, data: unknown = null): Promise<any> {
    const options: RequestInit = {
      method,
      headers: { Authorization: `Bearer ${this.apiKey}`, "Content-Type": "application/json" },
    };
    if (data) options.body = JSON.stringify(data);
    const response = await fetch(`${this.baseUrl}${endpoint}`, options);
    if (!response.ok) {
      const error = (await response.json()) as { error: string; message: string };
      throw new DripError(response.status, error);
    }
    return response.json();
  }
}

class DripError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error: string; message: string },
  ) {
    super(`API Error: ${status} - ${body.message}`);
  }
}

/** The status and body of a refused call. */
async function refused(call: Promise<unknown>): Promise<{ status: number; body: { error: string; message: string } }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof DripError) return { status: error.status, body: error.body };
    throw error;
  }
  throw new Error("the call succeeded");
}

const keys = (o: object) => Object.keys(o).sort();
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

let h: Harness;
let client: DripClient;
beforeAll(async () => {
  h = await startHarness();
  client = new DripClient(BOOTSTRAP_KEY, "default", h.url);
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const member = async (userId: string, extra: { email?: string; name?: string } = {}) =>
  (await h.call("POST", "/users", { body: { user_id: userId, ...extra } })).body.user.klaim_id as string;
const entries = async () =>
  Number((await queryRows<{ n: string }>(h.t.db, sql`SELECT count(*)::text AS n FROM ledger_entries`))[0]?.n);

describe("Drip's quickstart", () => {
  it("gets the realm with the documented fields Tally has", async () => {
    const realm = await client.request("GET", `/realms/${client.realmId}`);
    expect(keys(realm)).toEqual(["createdAt", "id", "name", "updatedAt"]);
    expect(realm).toEqual({
      id: "default",
      name: expect.any(String),
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(realm.createdAt).toMatch(ISO);
    expect(Date.parse(realm.updatedAt)).toBeGreaterThanOrEqual(Date.parse(realm.createdAt));
  });

  it("refuses another realm's id with 403 and an unknown key with 401", async () => {
    await h.core.createRealm({ id: "other", name: "Other" });
    expect(await refused(client.request("GET", "/realms/other"))).toMatchObject({
      status: 403,
      body: { error: "FORBIDDEN" },
    });
    const stranger = new DripClient("tly_unknown", "default", h.url);
    expect((await refused(stranger.request("GET", "/realms/default"))).status).toBe(401);
  });
});

describe("Drip's member-management guide", () => {
  it("searches members by every identifier type, several values at once, each with credentials and balances", async () => {
    const ada = await member("u-ada", { email: "Ada@Example.com", name: "Ada Lovelace" });
    const grace = await member("u-grace", { name: "Grace Hopper" });
    await h.call("POST", "/api/v1/realms/default/credentials/link?type=discord-id&value=123456789012345678", {
      body: { userId: "u-ada" },
    });
    await h.call(
      "POST",
      "/api/v1/realms/default/credentials/link?type=wallet&value=0x742d35Cc6634C0532925a3b844Bc454e4438f44e",
      {
        body: { userId: "u-grace" },
      },
    );
    await client.request("PATCH", `/realms/default/members/${ada}/balance`, { amount: 40 });

    const byDiscord = await client.request(
      "GET",
      "/realms/default/members/search?type=discord-id&values=123456789012345678",
    );
    expect(keys(byDiscord)).toEqual(["data"]);
    expect(byDiscord.data).toHaveLength(1);
    const found = byDiscord.data[0];
    expect(keys(found)).toEqual(
      ["balances", "createdAt", "credentials", "email", "id", "metadata", "name", "updatedAt", "userId"].sort(),
    );
    const [points] = await h.core.currencies("default");
    expect(found).toMatchObject({ id: ada, userId: "u-ada", name: "Ada Lovelace", email: "ada@example.com" });
    expect(found.balances).toEqual([
      { balance: 40, currencyId: points?.id, currencyName: "points", currencyEmoji: points?.emoji ?? null },
    ]);
    expect(
      found.credentials.map((c: { format: string; publicIdentifier: string }) => [c.format, c.publicIdentifier]),
    ).toEqual([
      ["email", "ada@example.com"],
      ["discord-id", "123456789012345678"],
    ]);
    expect(keys(found.credentials[0])).toEqual(
      ["createdAt", "format", "id", "isVerified", "metadata", "publicIdentifier", "source"].sort(),
    );

    const wallets = await client.request(
      "GET",
      "/realms/default/members/search?type=wallet&values=0x742D35CC6634C0532925A3B844BC454E4438F44E,0x0000000000000000000000000000000000000001",
    );
    expect(wallets.data.map((m: { id: string }) => m.id)).toEqual([grace]);
    const byDripId = await client.request("GET", `/realms/default/members/search?type=drip-id&values=${grace},${ada}`);
    expect(byDripId.data.map((m: { id: string }) => m.id)).toEqual([grace, ada]);
    const byEmail = await client.request("GET", "/realms/default/members/search?type=email&values=ADA@example.com");
    expect(byEmail.data.map((m: { id: string }) => m.id)).toEqual([ada]);
    const byName = await client.request("GET", "/realms/default/members/search?type=username&values=grace%20hopper");
    expect(byName.data.map((m: { id: string }) => m.id)).toEqual([grace]);
    const none = await client.request("GET", "/realms/default/members/search?type=twitter-id&values=987654321");
    expect(none).toEqual({ data: [] });
  });

  it("does not find ghosts (people who are not members yet) and refuses bad search input naming the field", async () => {
    await h.call("PATCH", "/api/v1/realms/default/credentials/balance?type=discord-id&value=223456789012345678", {
      body: { amount: 5 },
    });
    expect(
      await client.request("GET", "/realms/default/members/search?type=discord-id&values=223456789012345678"),
    ).toEqual({
      data: [],
    });
    const bad = await refused(client.request("GET", "/realms/default/members/search?type=discord-id&values=12"));
    expect(bad).toMatchObject({
      status: 400,
      body: { error: "VALIDATION", message: expect.stringContaining("values") },
    });
    const type = await refused(client.request("GET", "/realms/default/members/search?type=phone&values=1"));
    expect(type).toMatchObject({ status: 400, body: { message: expect.stringContaining("query.type") } });
    const many = Array.from({ length: 101 }, (_, i) => `u${i}`).join(",");
    const tooMany = await refused(client.request("GET", `/realms/default/members/search?type=drip-id&values=${many}`));
    expect(tooMany).toMatchObject({ status: 400, body: { message: expect.stringContaining("at most 100") } });
  });

  it("lists members in cursor pages", async () => {
    const ids = [await member("u-1"), await member("u-2"), await member("u-3")];
    const first = await client.request("GET", "/realms/default/members?limit=2");
    expect(keys(first)).toEqual(["data", "nextCursor"]);
    const second = await client.request("GET", `/realms/default/members?limit=2&cursor=${first.nextCursor}`);
    expect([...first.data, ...second.data].map((m: { id: string }) => m.id)).toEqual(ids);
    expect(second.nextCursor).toBeNull();
  });

  it("updates one member's balance, several at once, and transfers between members, in Drip's shapes", async () => {
    const ada = await member("u-ada");
    const grace = await member("u-grace");
    const [points] = await h.core.currencies("default");

    const update = await client.request("PATCH", `/realms/default/members/${ada}/balance`, {
      amount: 100,
      initiatorId: "quest-bot",
    });
    expect(keys(update)).toEqual(["balance", "currencyId", "dripId", "id"]);
    expect(update).toEqual({ id: expect.any(String), dripId: ada, balance: 100, currencyId: points?.id });
    const deducted = await client.request("PATCH", `/realms/default/members/${ada}/balance`, {
      amount: -30,
      currencyId: points?.id,
    });
    expect(deducted.balance).toBe(70);

    const batch = await client.request("PATCH", "/realms/default/members/transaction", {
      updates: [
        { dripId: ada, amount: 5 },
        { dripId: grace, amount: 50, currencyId: points?.id },
      ],
      initiatorId: "weekly-payout",
    });
    expect(keys(batch)).toEqual(["success", "updates"]);
    expect(batch).toEqual({
      success: true,
      updates: [
        { dripId: ada, balance: 5, currencyId: points?.id, newBalance: 75 },
        { dripId: grace, balance: 50, currencyId: points?.id, newBalance: 50 },
      ],
    });

    const transfer = await client.request("PATCH", `/realms/default/members/${ada}/transfer`, {
      amount: 25,
      recipientId: grace,
    });
    expect(keys(transfer)).toEqual(["balance", "currencyId", "id", "recipientId", "senderId"]);
    expect(transfer).toEqual({
      id: expect.any(String),
      senderId: ada,
      recipientId: grace,
      balance: 50,
      currencyId: points?.id,
    });

    const ledger = await h.call("GET", "/api/v1/realms/default/transactions");
    expect(ledger.body.data[ledger.body.data.length - 1]).toMatchObject({
      initiator: { id: "quest-bot" },
      amount: 100,
    });
    const audit = await h.call("GET", "/api/v1/realms/default/audit");
    expect(audit.body.ok).toBe(true);
  });

  it("applies a batch all or nothing and names the refused item", async () => {
    const ada = await member("u-ada");
    const grace = await member("u-grace");
    const before = await entries();
    const overdraft = await refused(
      client.request("PATCH", "/realms/default/members/transaction", {
        updates: [
          { dripId: ada, amount: 10 },
          { dripId: grace, amount: -1 },
        ],
      }),
    );
    expect(overdraft).toMatchObject({
      status: 422,
      body: { error: "INSUFFICIENT_BALANCE", message: expect.stringMatching(/^(updates\[1\]|Item 1)/) },
    });
    const unknown = await refused(
      client.request("PATCH", "/realms/default/members/transaction", {
        updates: [
          { dripId: ada, amount: 10 },
          { dripId: "nobody", amount: 1 },
        ],
      }),
    );
    expect(unknown).toMatchObject({
      status: 404,
      body: { error: "NOT_FOUND", message: expect.stringContaining("updates[1]") },
    });
    expect(await entries()).toBe(before);
  });

  it("honours Idempotency-Key on member writes: a retry replays, a different request with the key is 409", async () => {
    const ada = await member("u-ada");
    const send = (amount: number) =>
      h.call("PATCH", `/api/v1/realms/default/members/${ada}/balance`, {
        body: { amount },
        headers: { "idempotency-key": "payout-7" },
      });
    const first = await send(10);
    const again = await send(10);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await send(11)).status).toBe(409);
    expect(await entries()).toBe(1);
  });

  it("emits balance.changed webhooks for member balance, batch and transfer writes, like every other door", async () => {
    let receiver: Receiver | undefined;
    try {
      receiver = await startReceiver();
      const hook = await h.call("POST", "/api/v1/realms/default/webhooks", {
        body: { url: receiver.url, events: ["balance.changed"] },
      });
      receiver.secrets.push(hook.body.secret);
      const ada = await member("u-ada");
      const grace = await member("u-grace");
      await client.request("PATCH", `/realms/default/members/${ada}/balance`, { amount: 10 });
      await client.request("PATCH", "/realms/default/members/transaction", { updates: [{ dripId: grace, amount: 4 }] });
      await client.request("PATCH", `/realms/default/members/${ada}/transfer`, { amount: 2, recipientId: grace });
      const events = receiver;
      await until(async () => {
        await deliverDue(h.t.db, { allowPrivate: true });
        return events.received.length === 4;
      }, "four events");
      const deltas = events.received.map((e) => [e.body.data.accountId, e.body.data.delta, e.body.data.balanceAfter]);
      expect(deltas).toEqual(
        expect.arrayContaining([
          [ada, 10, 10],
          [grace, 4, 4],
          [ada, -2, 8],
          [grace, 2, 6],
        ]),
      );
      expect(events.rejected).toBe(0);
    } finally {
      await receiver?.close();
    }
  });

  it("merges member metadata and answers the member", async () => {
    const ada = await member("u-ada");
    await client.request("PATCH", `/realms/default/members/${ada}/metadata`, {
      metadata: { tier: "gold", team: "core" },
    });
    const updated = await client.request("PATCH", `/realms/default/members/${ada}/metadata`, {
      metadata: { team: null, level: 3 },
    });
    expect(updated).toMatchObject({ id: ada, metadata: { tier: "gold", level: 3 } });
    expect(updated.metadata).not.toHaveProperty("team");
  });

  it.each([
    ["an unknown member", "PATCH", "/members/nobody/balance", { amount: 1 }, 404, "NOT_FOUND"],
    ["a ghost account as member", "PATCH", "/members/GHOST/balance", { amount: 1 }, 404, "NOT_FOUND"],
    ["a fractional amount", "PATCH", "/members/ADA/balance", { amount: 1.5 }, 400, "VALIDATION"],
    ["a string amount", "PATCH", "/members/ADA/balance", { amount: "5" }, 400, "VALIDATION"],
    ["an unknown field", "PATCH", "/members/ADA/balance", { amount: 1, tokens: 1 }, 400, "VALIDATION"],
    ["a zero amount", "PATCH", "/members/ADA/balance", { amount: 0 }, 422, "INVALID_AMOUNT"],
    ["an overdraft", "PATCH", "/members/ADA/balance", { amount: -1 }, 422, "INSUFFICIENT_BALANCE"],
    ["an unknown currency", "PATCH", "/members/ADA/balance", { amount: 1, currencyId: "nope" }, 404, "NOT_FOUND"],
    ["a transfer of 0", "PATCH", "/members/ADA/transfer", { amount: 0, recipientId: "GRACE" }, 400, "VALIDATION"],
    ["a transfer to oneself", "PATCH", "/members/ADA/transfer", { amount: 1, recipientId: "ADA" }, 400, "VALIDATION"],
    ["a transfer to nobody", "PATCH", "/members/ADA/transfer", { amount: 1, recipientId: "nobody" }, 404, "NOT_FOUND"],
    [
      "an overdrawn transfer",
      "PATCH",
      "/members/ADA/transfer",
      { amount: 1, recipientId: "GRACE" },
      422,
      "INSUFFICIENT_BALANCE",
    ],
    ["an empty batch", "PATCH", "/members/transaction", { updates: [] }, 400, "VALIDATION"],
    ["metadata that is not an object", "PATCH", "/members/ADA/metadata", { metadata: [1] }, 400, "VALIDATION"],
  ])("refuses %s (%s %s) with %s and writes nothing", async (_name, method, path, body, status, code) => {
    const ids: Record<string, string> = { ADA: await member("u-ada"), GRACE: await member("u-grace") };
    await h.call("PATCH", "/api/v1/realms/default/credentials/balance?type=email&value=ghost@example.com", {
      body: { amount: 1 },
    });
    ids.GHOST = (
      await h.call("GET", "/api/v1/realms/default/credentials/find?type=email&value=ghost@example.com")
    ).body.accountId;
    const before = await entries();
    const resolved = path.replace(/ADA|GRACE|GHOST/, (k) => ids[k] ?? k);
    const bodyWithIds = JSON.parse(JSON.stringify(body).replace(/"(ADA|GRACE)"/g, (_m, k: string) => `"${ids[k]}"`));
    const res = await refused(client.request(method, `/realms/default${resolved}`, bodyWithIds));
    expect(res).toEqual({ status, body: { error: code, message: expect.any(String) } });
    expect(await entries()).toBe(before);
  });

  it("keeps realms apart: another realm's member is not found", async () => {
    await h.core.createRealm({ id: "other", name: "Other" });
    const ctx = { realmId: "other", initiator: { type: "cli" as const, id: "t" }, via: "cli" as const };
    const stranger = (await h.core.createUser(ctx, { userId: "u-x" })).id;
    const ada = await member("u-ada");
    expect(
      (await refused(client.request("PATCH", `/realms/default/members/${stranger}/balance`, { amount: 1 }))).status,
    ).toBe(404);
    await client.request("PATCH", `/realms/default/members/${ada}/balance`, { amount: 5 });
    expect(
      (
        await refused(
          client.request("PATCH", `/realms/default/members/${ada}/transfer`, { amount: 1, recipientId: stranger }),
        )
      ).status,
    ).toBe(404);
    expect(
      (await client.request("GET", `/realms/default/members/search?type=drip-id&values=${stranger}`)).data,
    ).toEqual([]);
  });
});

describe("Drip's credential guide (ghost credentials)", () => {
  it("creates social and wallet credentials as ghosts, credits them, and links them later", async () => {
    const social = await client.request("POST", "/realms/default/credentials/social", {
      provider: "twitter",
      providerId: "1234567890",
      username: "ada_codes",
    });
    expect(keys(social)).toEqual(
      [
        "accountId",
        "createdAt",
        "format",
        "id",
        "isVerified",
        "linked",
        "metadata",
        "oauthAccountId",
        "oauthProvider",
        "publicIdentifier",
        "source",
      ].sort(),
    );
    expect(social).toMatchObject({
      format: "twitter-id",
      publicIdentifier: "1234567890",
      oauthProvider: "twitter",
      oauthAccountId: "1234567890",
      isVerified: false,
      linked: false,
      metadata: { username: "ada_codes" },
    });
    const custom = await client.request("POST", "/realms/default/credentials/social", {
      provider: "Telegram",
      providerId: "tg-9",
    });
    expect(custom).toMatchObject({ format: "custom", source: "telegram", publicIdentifier: "tg-9" });
    const wallet = await client.request("POST", "/realms/default/credentials/wallet", {
      address: "0x742d35Cc6634C0532925a3b844Bc454e4438f44e",
    });
    expect(wallet).toMatchObject({ format: "wallet", publicIdentifier: "0x742d35cc6634c0532925a3b844bc454e4438f44e" });
    const dup = await refused(
      client.request("POST", "/realms/default/credentials/wallet", {
        address: "0x742D35CC6634C0532925A3B844BC454E4438F44E",
      }),
    );
    expect(dup).toMatchObject({ status: 409, body: { error: "CONFLICT" } });

    const credited = await client.request(
      "PATCH",
      "/realms/default/credentials/balance?type=twitter-id&value=1234567890",
      {
        amount: 15,
      },
    );
    expect(credited).toMatchObject({ credentialId: social.id, balance: 15, linked: false });
    const ada = await member("u-ada");
    await h.call("POST", "/api/v1/realms/default/credentials/link?type=twitter-id&value=1234567890", {
      body: { accountId: ada },
    });
    const found = await client.request("GET", `/realms/default/members/search?type=twitter-id&values=1234567890`);
    expect(found.data[0]).toMatchObject({ id: ada, balances: [{ balance: 15 }] });
  });

  it("creates a credential straight onto a member with accountId, and refuses an unknown member", async () => {
    const ada = await member("u-ada");
    const created = await client.request("POST", "/realms/default/credentials/social", {
      provider: "discord",
      providerId: "123456789012345678",
      accountId: ada,
    });
    expect(created).toMatchObject({ format: "discord-id", accountId: ada, linked: true });
    const unknown = await refused(
      client.request("POST", "/realms/default/credentials/wallet", {
        address: "0x0000000000000000000000000000000000000001",
        accountId: "nobody",
      }),
    );
    expect(unknown.status).toBe(404);
    const bad = await refused(
      client.request("POST", "/realms/default/credentials/social", { provider: "discord", providerId: "12" }),
    );
    expect(bad).toMatchObject({ status: 400, body: { error: "VALIDATION" } });
  });

  it("deletes only a credential without balances (409 otherwise), keeping the ledger", async () => {
    const q = "type=email&value=ghost@example.com";
    await h.call("PATCH", `/api/v1/realms/default/credentials/balance?${q}`, { body: { amount: 5 } });
    const held = await refused(client.request("DELETE", `/realms/default/credentials?${q}`));
    expect(held).toMatchObject({
      status: 409,
      body: { error: "CONFLICT", message: expect.stringContaining("balance") },
    });
    await h.call("PATCH", `/api/v1/realms/default/credentials/balance?${q}`, { body: { amount: -5 } });
    const removed = await client.request("DELETE", `/realms/default/credentials?${q}`);
    expect(keys(removed)).toEqual(["credentialId", "success"]);
    expect(removed.success).toBe(true);
    expect((await refused(client.request("DELETE", `/realms/default/credentials?${q}`))).status).toBe(404);
    expect(await entries()).toBe(2);
    expect((await h.call("GET", "/api/v1/realms/default/audit")).body.ok).toBe(true);
    // The identifier is free again: a new credit makes a new ghost.
    const again = await h.call("PATCH", `/api/v1/realms/default/credentials/balance?${q}`, { body: { amount: 1 } });
    expect(again.body.credentialId).not.toBe(removed.credentialId);
  });

  it("merges credential metadata", async () => {
    await client.request("POST", "/realms/default/credentials/social", { provider: "twitter", providerId: "42" });
    const updated = await client.request("PATCH", "/realms/default/credentials/metadata?type=twitter-id&value=42", {
      metadata: { campaign: "launch" },
    });
    expect(updated).toMatchObject({ publicIdentifier: "42", metadata: { campaign: "launch" } });
    const missing = await refused(
      client.request("PATCH", "/realms/default/credentials/metadata?type=twitter-id&value=43", { metadata: {} }),
    );
    expect(missing.status).toBe(404);
  });
});

describe("Drip's point-systems guide (currencies)", () => {
  it("creates, reads, updates, archives and unarchives a currency; an archived one takes no entries but stays readable", async () => {
    const ada = await member("u-ada");
    const gems = await client.request("POST", "/realms/default/currencies", { name: "gems", emoji: "💎" });
    const read = await client.request("GET", `/realms/default/currencies/${gems.id}`);
    expect(keys(read)).toEqual(["allowNegative", "archived", "emoji", "id", "isDefault", "metadata", "name", "scale"]);
    expect(read).toEqual({ ...gems, archived: false, metadata: {} });

    const scaled = await client.request("PATCH", `/realms/default/currencies/${gems.id}`, { scale: 2, name: "Gems" });
    expect(scaled).toMatchObject({ name: "Gems", scale: 2 });
    await client.request("PATCH", `/realms/default/members/${ada}/balance`, { amount: 1, currencyId: gems.id });
    const locked = await refused(client.request("PATCH", `/realms/default/currencies/${gems.id}`, { scale: 0 }));
    expect(locked).toMatchObject({
      status: 409,
      body: { error: "CONFLICT", message: expect.stringContaining("scale") },
    });
    const overdraft = await client.request("PATCH", `/realms/default/currencies/${gems.id}`, {
      allowNegative: true,
      emoji: null,
    });
    expect(overdraft).toMatchObject({ allowNegative: true, emoji: null, scale: 2 });

    const archived = await client.request("DELETE", `/realms/default/currencies/${gems.id}`);
    expect(archived.archived).toBe(true);
    const write = await refused(
      client.request("PATCH", `/realms/default/members/${ada}/balance`, { amount: 1, currencyId: gems.id }),
    );
    expect(write).toMatchObject({
      status: 409,
      body: { error: "CONFLICT", message: expect.stringContaining("archived") },
    });
    const found = await client.request("GET", `/realms/default/members/search?type=drip-id&values=${ada}`);
    expect(found.data[0].balances).toEqual([
      { balance: 1, currencyId: gems.id, currencyName: "Gems", currencyEmoji: null },
    ]);
    expect(
      (await client.request("GET", "/realms/default/currencies")).data.find((c: { id: string }) => c.id === gems.id)
        .archived,
    ).toBe(true);

    const restored = await client.request("POST", `/realms/default/currencies/${gems.id}/unarchive`);
    expect(restored.archived).toBe(false);
    const after = await client.request("PATCH", `/realms/default/members/${ada}/balance`, {
      amount: 2,
      currencyId: gems.id,
    });
    expect(after.balance).toBe(3);

    const meta = await client.request("PATCH", `/realms/default/currencies/${gems.id}/metadata`, {
      metadata: { season: 1 },
    });
    expect(meta.metadata).toEqual({ season: 1 });
  });

  it("refuses to archive the default currency, unknown ids, bad fields and duplicate names", async () => {
    const [points] = await h.core.currencies("default");
    expect(await refused(client.request("DELETE", `/realms/default/currencies/${points?.id}`))).toMatchObject({
      status: 409,
      body: { error: "CONFLICT" },
    });
    expect((await refused(client.request("GET", "/realms/default/currencies/nope"))).status).toBe(404);
    expect((await refused(client.request("PATCH", "/realms/default/currencies/nope", { name: "x" }))).status).toBe(404);
    const gems = await client.request("POST", "/realms/default/currencies", { name: "gems" });
    expect(await refused(client.request("PATCH", `/realms/default/currencies/${gems.id}`, { scale: 9 }))).toMatchObject(
      {
        status: 400,
        body: { message: expect.stringContaining("body.scale") },
      },
    );
    expect(
      await refused(client.request("PATCH", `/realms/default/currencies/${gems.id}`, { default: true })),
    ).toMatchObject({
      status: 400,
      body: { message: expect.stringContaining("body.default is not a known field") },
    });
    expect(
      await refused(client.request("PATCH", `/realms/default/currencies/${gems.id}`, { name: "points" })),
    ).toMatchObject({
      status: 409,
    });
    await h.core.createRealm({ id: "other", name: "Other" });
    const foreign = (await h.core.createCurrency("other", { name: "coins" })).id;
    expect((await refused(client.request("GET", `/realms/default/currencies/${foreign}`))).status).toBe(404);
    expect((await refused(client.request("DELETE", `/realms/default/currencies/${foreign}`))).status).toBe(404);
  });
});
