import { expectAuditClean } from "@tally/core/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "../harness.ts";
import { type Answer, ledgerFacts, loadClient, runPool, Tally } from "./load.ts";

// One hot row, hammered: every ± delta either applies or is refused for a balance it really saw, never a 5xx.
const REQUESTS = Number(process.env.TALLY_FAULT_CONTENDED_REQUESTS ?? 10_000);
const CONNECTIONS = 64;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ rateLimit: false }, { maxConnections: 20 });
});
afterAll(() => h.close());
beforeEach(() => h.reset());

/** Five +2, then five -3: the debits ask for more than the credits bring, so many meet a balance too small. */
const deltaOf = (i: number) => (i % 10 < 5 ? 2 : -3);

/** Sends a seed credit of 10, then the contended deltas; counts what was accepted, seed included. */
async function hammer(send: (delta: number) => Promise<Answer>) {
  const tally = new Tally();
  const unexpected: string[] = [];
  expect((await send(10)).status).toBe(200);
  let accepted = 10n;
  let acceptedCount = 1;
  await runPool(REQUESTS, CONNECTIONS, async (i) => {
    const delta = deltaOf(i);
    const answer = await send(delta);
    tally.note(answer);
    if (answer.status === 200) {
      accepted += BigInt(delta);
      acceptedCount++;
    } else if (answer.status !== 422) {
      unexpected.push(`${answer.status} ${JSON.stringify(answer.body)}`);
    }
  });
  expect(unexpected.slice(0, 5)).toEqual([]);
  return { tally, accepted, acceptedCount };
}

async function expectWhole(run: Awaited<ReturnType<typeof hammer>>, balance: bigint) {
  await expectAuditClean(h.core);
  const facts = await ledgerFacts(h.t);
  expect(run.tally.fiveHundreds.length).toBe(0);
  expect(run.tally.count(503)).toBe(0);
  expect(run.tally.count(422)).toBeGreaterThan(0); // some really would have overdrawn
  expect(balance).toBe(run.accepted);
  expect(facts).toMatchObject({ entries: run.acceptedCount, unbalanced: 0, brokenChain: 0 });
  expect(facts.balances).toBe(run.accepted);
  expect(facts.entrySum).toBe(run.accepted);
  expect(facts.minBalanceAfter !== null && facts.minBalanceAfter >= 0n).toBe(true);
}

describe(`${REQUESTS} concurrent ± deltas over ${CONNECTIONS} connections`, () => {
  it("on one credential: balance = accepted deltas, one entry each, never below zero, zero 5xx", async () => {
    const client = loadClient(() => h.url, CONNECTIONS);
    const path = "/api/v1/realms/default/credentials/balance?type=discord-id&value=424242424242424242";
    const started = performance.now();
    const run = await hammer((amount) => client.send("PATCH", path, { body: { amount } }));
    const seconds = (performance.now() - started) / 1000;
    const final = await client.send(
      "GET",
      "/api/v1/realms/default/credentials/find?type=discord-id&value=424242424242424242",
    );
    client.close();
    await expectWhole(run, BigInt(final.body.balance));
    console.log(
      `one credential: ${REQUESTS} requests in ${seconds.toFixed(1)} s (${run.tally.summary()}), balance ${run.accepted}`,
    );
  }, 240_000);

  it("on one credit user: the same through PUT /users/{user_id}/credits", async () => {
    const client = loadClient(() => h.url, CONNECTIONS);
    expect((await client.send("POST", "/users", { body: { user_id: "hot-user" } })).status).toBe(201);
    const started = performance.now();
    const run = await hammer((credit_delta) =>
      client.send("PUT", "/users/hot-user/credits", { body: { credit_delta } }),
    );
    const seconds = (performance.now() - started) / 1000;
    const final = await client.send("GET", "/users/hot-user/credits");
    client.close();
    await expectWhole(run, BigInt(final.body.credit_balance));
    console.log(
      `one credit user: ${REQUESTS} requests in ${seconds.toFixed(1)} s (${run.tally.summary()}), balance ${run.accepted}`,
    );
  }, 240_000);
});
