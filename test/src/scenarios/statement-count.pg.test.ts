import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "../harness.ts";

// The hot path's promise, checked where it matters: what PostgreSQL receives for one request (postgres.js reports
// every statement it sends). Only PostgreSQL has that client; PGlite runs in process.
const sent: string[] = [];
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ rateLimit: false }, { onStatement: (text) => sent.push(text) });
  await h.reset();
  await h.core.createUser(
    { realmId: "default", initiator: { type: "cli", id: "t" }, via: "cli" },
    { userId: "counted" },
  );
  // Warm the caches (API key, currencies) and create the credential: later requests find everything in place.
  expect((await patch(1)).status).toBe(200);
  expect((await h.call("PUT", "/users/counted/credits", { body: { credit_delta: 1 } })).status).toBe(200);
});
afterAll(() => h.close());

const patch = (amount: number, key?: string) =>
  h.call("PATCH", "/api/v1/realms/default/credentials/balance?type=discord-id&value=400000000000000001", {
    body: { amount },
    headers: key ? { "idempotency-key": key } : {},
  });
const credits = (delta: number, key?: string) =>
  h.call("PUT", "/users/counted/credits", {
    body: { credit_delta: delta },
    headers: key ? { "idempotency-key": key } : {},
  });

/** The statements one request sends, after the caches are warm. */
async function statementsOf(request: () => Promise<{ status: number }>): Promise<string[]> {
  sent.length = 0;
  const { status } = await request();
  expect(status).toBe(200);
  return [...sent];
}

describe("one statement per delta", () => {
  it.each([
    ["PATCH credentials/balance on an existing credential", () => patch(2)],
    ["PATCH credentials/balance with an Idempotency-Key", () => patch(3, "count-patch")],
    ["PATCH credentials/balance, a debit", () => patch(-1)],
    ["PUT /users/{id}/credits", () => credits(4)],
    ["PUT /users/{id}/credits with an Idempotency-Key", () => credits(5, "count-credits")],
  ])("%s sends exactly one statement", async (_, request) => {
    const statements = await statementsOf(request);
    expect(statements, statements.join("\n---\n")).toHaveLength(1);
    expect(statements[0]).toContain("INSERT INTO ledger_entries");
  });

  it("the same statement text serves every request of a shape (rendered once, parameters bound)", async () => {
    const [first] = await statementsOf(() => patch(6));
    const [second] = await statementsOf(() => patch(7));
    expect(second).toBe(first);
  });
});
