import { expectAuditClean } from "@tally/core/testing";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "../harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
beforeEach(() => h.reset());
afterEach(() => expectAuditClean(h.core));

const realm = "/api/v1/realms/default";
const credit = (value: string, amount: number) =>
  h.call("PATCH", `${realm}/credentials/balance?type=discord-id&value=${value}`, { body: { amount } });
const lastEntryId = async () => (await h.call("GET", `${realm}/transactions?limit=1`)).body.data[0].id as string;
const reverse = (entryId: string, body?: unknown, headers?: Record<string, string>) =>
  h.call("POST", `${realm}/transactions/${entryId}/reverse`, { body, headers });

describe("POST /api/v1/realms/{realmId}/transactions/{entryId}/reverse (fixed contract)", () => {
  it("answers {entry, balance}, shows reversesEntryId and reversedBy in the ledger, and refuses a second time", async () => {
    await credit("600000000000000001", 10);
    await credit("600000000000000001", 5);
    const id = await lastEntryId();
    const res = await reverse(id, { description: "wrong person" });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(["balance", "entry"]);
    expect(res.body).toMatchObject({
      balance: 10,
      entry: { kind: "reversal", amount: -5, balanceAfter: 10, reversesEntryId: id, description: "wrong person" },
    });
    const ledger = (await h.call("GET", `${realm}/transactions`)).body.data;
    expect(ledger.find((e: { id: string }) => e.id === id)).toMatchObject({ reversedBy: res.body.entry.id });
    expect(ledger[0]).toMatchObject({ id: res.body.entry.id, reversesEntryId: id, reversedBy: null });

    const again = await reverse(id);
    expect(again).toMatchObject({ status: 409, body: { error: "ALREADY_REVERSED" } });
  });

  it("reverses without a body, and honours Idempotency-Key", async () => {
    await credit("600000000000000002", 4);
    const id = await lastEntryId();
    const first = await reverse(id, undefined, { "idempotency-key": "undo-7" });
    const replay = await reverse(id, undefined, { "idempotency-key": "undo-7" });
    expect(first.status).toBe(200);
    expect(replay).toMatchObject({ status: 200, body: first.body });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
  });

  it("is 404 for an unknown entry or another realm's, 422 for a spent credit, 400 for a bad body", async () => {
    await credit("600000000000000003", 6);
    const id = await lastEntryId();
    await credit("600000000000000003", -6);
    expect(await reverse(id)).toMatchObject({ status: 422, body: { error: "INSUFFICIENT_BALANCE" } });
    expect((await reverse("987654")).status).toBe(404);
    expect((await reverse("not-a-number")).status).toBe(404);
    expect((await reverse(id, { description: 5 })).status).toBe(400);
    expect((await reverse(id, { amount: 5 })).status).toBe(400);

    await h.core.createRealm({ id: "other", name: "Other" });
    const { key } = await h.core.createApiKey("other", { name: "other" });
    const foreign = await h.call("POST", `/api/v1/realms/other/transactions/${id}/reverse`, { auth: key });
    expect(foreign).toMatchObject({ status: 404, body: { error: "NOT_FOUND" } });
    expect([403, 404]).toContain((await h.call("POST", `${realm}/transactions/${id}/reverse`, { auth: key })).status);
    expect((await h.call("GET", `${realm}/transactions?limit=5`)).body.data).toHaveLength(2);
  });
});
