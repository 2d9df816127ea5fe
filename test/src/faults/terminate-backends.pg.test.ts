import { expectAuditClean } from "@tally/core/testing";
import { openTestDatabase, type TestDatabase } from "@tally/db/testing";
import postgres from "postgres";
import { afterAll, beforeAll, expect, it } from "vitest";
import { BOOTSTRAP_KEY } from "../harness.ts";
import { type ApiProcess, startApiProcess } from "../tally-process.ts";
import { type Answer, ledgerFacts, loadClient, runPool, Tally, untilSettled } from "./load.ts";

// pg_terminate_backend of the API's connections while multi-statement transactions (transfers, batches, links) are
// in flight: postgres.js 3.4.9 unpatched threw from a timer and took the process down in 3-4 rounds of 5.
const KILL_ROUNDS = Number(process.env.TALLY_FAULT_TERMINATE_ROUNDS ?? 25);

let t: TestDatabase;
let api: ApiProcess;
beforeAll(async () => {
  t = await openTestDatabase({ maxConnections: 2 });
  api = await startApiProcess({ DATABASE_URL: t.url, TALLY_API_KEY: BOOTSTRAP_KEY, TALLY_RATE_LIMIT: "0" });
});
afterAll(async () => {
  await api?.stop();
  await t.close();
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const snowflake = (n: number) => String(300000000000000000n + BigInt(n));
const credential = (n: number) => `type=discord-id&value=${snowflake(n)}`;
const realm = "/api/v1/realms/default/credentials";

it(`${KILL_ROUNDS} rounds of pg_terminate_backend during transfers, batches and links: the process survives`, async () => {
  const client = loadClient(() => api.url, 32);
  const tally = new Tally();
  // A rich source for transfers, and users to link fresh credentials to.
  expect(
    (await client.send("PATCH", `${realm}/balance?${credential(0)}`, { body: { amount: 1_000_000 } })).status,
  ).toBe(200);
  for (let u = 0; u < 40; u++) {
    expect((await client.send("POST", "/users", { body: { user_id: `link-${u}` } })).status).toBe(201);
  }

  let credited = 1_000_000n;
  const outcomes = new Map<string, number>();
  const settle = async (key: string, attempt: () => Promise<Answer>) => {
    const answer = await untilSettled(attempt, tally, { giveUpAfterMs: 60_000 });
    outcomes.set(
      `${key.split("-")[0]} ${answer.status}`,
      (outcomes.get(`${key.split("-")[0]} ${answer.status}`) ?? 0) + 1,
    );
    return answer;
  };
  let stopping = false;
  const load = runPool(
    Number.POSITIVE_INFINITY,
    16,
    async (i) => {
      const key = `${["transfer", "batch", "link", "adjust"][i % 4]}-${i}`;
      switch (i % 4) {
        case 0:
          await settle(key, () =>
            client.send(
              "PATCH",
              `${realm}/transfer?fromType=discord-id&fromValue=${snowflake(0)}&toType=discord-id&toValue=${snowflake(1 + (i % 9))}`,
              { body: { amount: 1 }, key },
            ),
          );
          break;
        case 1: {
          const updates = [1, 2, 3].map((k) => ({
            type: "discord-id",
            value: snowflake(10 + ((i + k) % 20)),
            amount: k,
          }));
          const answer = await settle(key, () =>
            client.send("PATCH", `${realm}/transaction`, { body: { updates }, key }),
          );
          if (answer.status === 200) credited += 6n;
          break;
        }
        case 2: {
          // Credit a fresh credential (a ghost balance), then link it to a user: the link moves that balance.
          const fresh = credential(1000 + i);
          const credit = await settle(`${key}-credit`, () =>
            client.send("PATCH", `${realm}/balance?${fresh}`, { body: { amount: 5 }, key: `${key}-credit` }),
          );
          if (credit.status === 200) credited += 5n;
          await settle(key, () =>
            client.send("POST", `${realm}/link?${fresh}`, { body: { userId: `link-${i % 40}` }, key }),
          );
          break;
        }
        default: {
          const debit = await settle(key, () =>
            client.send("PATCH", `${realm}/balance?${credential(0)}`, { body: { amount: -1 }, key }),
          );
          if (debit.status === 200) credited -= 1n;
        }
      }
    },
    () => stopping,
  );

  const killer = postgres(t.url as string, { max: 1, onnotice: () => {} });
  let terminated = 0;
  try {
    for (let round = 0; round < KILL_ROUNDS; round++) {
      await pause(150);
      const rows = await killer`SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`;
      terminated += rows.filter((r) => r.done).length;
      expect(api.child.exitCode, api.output()).toBeNull();
    }
  } finally {
    await killer.end();
  }
  stopping = true;
  await load;
  // Serving again, on fresh connections.
  const after = await client.send("GET", `/api/v1/realms/default/credentials/find?${credential(0)}`);
  client.close();

  expect(api.child.exitCode, api.output()).toBeNull();
  expect(api.child.signalCode).toBeNull();
  expect(api.output()).not.toMatch(/uncaught|TypeError/i);
  expect(after.status).toBe(200);
  expect(tally.fiveHundreds.map((a) => `${a.status} ${JSON.stringify(a.body)}`)).toEqual([]);
  expect(outcomes.get("transfer 200")).toBeGreaterThan(0);
  expect(outcomes.get("batch 200")).toBeGreaterThan(0);
  expect(outcomes.get("link 200")).toBeGreaterThan(0);
  await expectAuditClean(t.db);
  const facts = await ledgerFacts(t);
  expect(facts).toMatchObject({ unbalanced: 0, brokenChain: 0 });
  expect(facts.balances).toBe(credited);
  expect(facts.entrySum).toBe(credited);
  console.log(
    `pg_terminate_backend: ${KILL_ROUNDS} rounds, ${terminated} backends terminated, process alive; ` +
      `${[...outcomes.entries()].map(([k, n]) => `${k}×${n}`).join(", ")} (${tally.summary()})`,
  );
}, 300_000);
