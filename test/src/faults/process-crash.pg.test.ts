import { expectAuditClean } from "@tally/core/testing";
import { openTestDatabase, type TestDatabase } from "@tally/db/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import { BOOTSTRAP_KEY } from "../harness.ts";
import { freePort } from "../setup/throwaway-postgres.ts";
import { type ApiProcess, startApiProcess } from "../tally-process.ts";
import { entriesByKey, ledgerFacts, loadClient, runPool, Tally, untilSettled } from "./load.ts";

// `kill -9` of the Tally process under load; clients retry each request with its idempotency key until it is
// acknowledged. CI runs a few cycles; `pnpm test:faults` runs the full twenty.
const CYCLES = Number(process.env.TALLY_FAULT_KILL_CYCLES ?? 3);

let t: TestDatabase;
let port: number;
let api: ApiProcess | undefined;
const start = () =>
  startApiProcess({ DATABASE_URL: t.url, TALLY_API_KEY: BOOTSTRAP_KEY, TALLY_RATE_LIMIT: "0", PORT: String(port) });

beforeAll(async () => {
  t = await openTestDatabase({ maxConnections: 2 });
  port = await freePort();
});
afterAll(async () => {
  await api?.stop();
  await t.close();
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it(`${CYCLES} cycles of kill -9 under load: every acknowledged delta booked exactly once`, async () => {
  api = await start();
  const base = `http://127.0.0.1:${port}`;
  const client = loadClient(() => base, 32);
  const tally = new Tally();
  expect((await client.send("POST", "/users", { body: { user_id: "crash-user" } })).status).toBe(201);

  const acknowledged = new Map<string, number>();
  let stopping = false;
  const load = runPool(
    Number.POSITIVE_INFINITY,
    16,
    async (i) => {
      const key = `crash-${i}`;
      const delta = 1 + (i % 5);
      const answer = await untilSettled(
        () =>
          i % 4 === 0
            ? client.send("PUT", "/users/crash-user/credits", { body: { credit_delta: delta }, key })
            : client.send(
                "PATCH",
                `/api/v1/realms/default/credentials/balance?type=discord-id&value=20000000000000000${i % 7}`,
                { body: { amount: delta }, key },
              ),
        tally,
        { giveUpAfterMs: 120_000 },
      );
      if (answer.status === 200) acknowledged.set(`api:${key}`, delta);
    },
    () => stopping,
  );

  const restarts: number[] = [];
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const before = acknowledged.size;
    while (acknowledged.size < before + 30) await pause(10);
    api.child.kill("SIGKILL");
    expect(await api.stop()).toBeNull(); // killed by the signal, not exited
    const killedAt = performance.now();
    api = await start();
    restarts.push(performance.now() - killedAt);
  }
  stopping = true;
  await load;
  client.close();

  expect(tally.fiveHundreds.map((a) => `${a.status} ${JSON.stringify(a.body)}`)).toEqual([]);
  const byKey = await entriesByKey(t);
  const lost = [...acknowledged.keys()].filter((key) => !byKey.has(key));
  const doubled = [...byKey.entries()].filter(([, n]) => n !== 1).map(([key]) => key);
  const unacknowledged = [...byKey.keys()].filter((key) => !acknowledged.has(key));
  expect({ lost, doubled, unacknowledged }).toEqual({ lost: [], doubled: [], unacknowledged: [] });
  const total = BigInt([...acknowledged.values()].reduce((a, b) => a + b, 0));
  await expectAuditClean(t.db);
  const facts = await ledgerFacts(t);
  expect(facts).toMatchObject({ entries: acknowledged.size, unbalanced: 0, brokenChain: 0 });
  expect(facts.balances).toBe(total);
  expect(facts.entrySum).toBe(total);
  console.log(
    `kill -9: ${CYCLES} cycles survived, ${acknowledged.size} deltas acknowledged (${tally.summary()}), ` +
      `restart ${Math.min(...restarts).toFixed(0)}-${Math.max(...restarts).toFixed(0)} ms, lost 0, doubled 0`,
  );
}, 600_000);
