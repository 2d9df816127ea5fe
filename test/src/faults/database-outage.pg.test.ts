import { expectAuditClean } from "@tally/core/testing";
import { openDatabase } from "@tally/db";
import { afterAll, beforeAll, expect, it } from "vitest";
import { BOOTSTRAP_KEY } from "../harness.ts";
import { startThrowawayPostgres, type ThrowawayPostgres } from "../setup/throwaway-postgres.ts";
import { type ApiProcess, startApiProcess } from "../tally-process.ts";
import {
  type Answer,
  entriesByKey,
  entriesOfKind,
  ledgerFacts,
  loadClient,
  runPool,
  storedKeys,
  Tally,
  untilSettled,
} from "./load.ts";

// PostgreSQL crashed (`pg_ctl -m immediate`) and restarted under load, on a cluster of its own so no other test file
// loses its database. synchronous_commit stays on: an acknowledged commit must survive the server's crash.
const CYCLES = Number(process.env.TALLY_FAULT_DB_CYCLES ?? 5);
const DOWN_MS = 1_500;

let cluster: ThrowawayPostgres;
let api: ApiProcess;
beforeAll(async () => {
  cluster = await startThrowawayPostgres({ synchronous_commit: "on" });
  api = await startApiProcess({ DATABASE_URL: cluster.url, TALLY_API_KEY: BOOTSTRAP_KEY, TALLY_RATE_LIMIT: "0" });
});
afterAll(async () => {
  await api?.stop();
  cluster?.stop();
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const realm = "/api/v1/realms/default/credentials";
const snowflake = (n: number) => String(100000000000000000n + BigInt(n));
const source = `fromType=discord-id&fromValue=${snowflake(9)}`;

it(`PostgreSQL stopped ${CYCLES} times under load: 503 within 1 s while away, 2xx within 10 s of its return, nothing lost or doubled`, async () => {
  const client = loadClient(() => api.url, 32);
  const tally = new Tally();
  expect((await client.send("POST", "/users", { body: { user_id: "outage-user" } })).status).toBe(201);

  // While the database is away: [from, to) windows, and every answer to a request sent wholly inside one.
  const downs: { from: number; to: number }[] = [];
  const answers: { answer: Answer; credit: boolean }[] = [];
  // Acknowledged adjustments (key -> delta), each booked as one entry carrying its key; acknowledged transfers.
  const booked = new Map<string, number>();
  const transfers = new Set<string>();
  const seed = await client.send("PATCH", `${realm}/balance?type=discord-id&value=${snowflake(9)}`, {
    body: { amount: 100_000 },
    key: "outage-seed",
  });
  expect(seed.status).toBe(200);
  booked.set("api:outage-seed", 100_000);
  let stopping = false;
  const load = runPool(
    Number.POSITIVE_INFINITY,
    16,
    async (i) => {
      const key = `outage-${i}`;
      const delta = 1 + (i % 5);
      const credit = i % 4 === 0;
      // Transfers are multi-statement transactions, the kind an outage used to crash the process in.
      const transfer = i % 4 === 1 && i > 8;
      const answer = await untilSettled(
        () =>
          credit
            ? client.send("PUT", "/users/outage-user/credits", { body: { credit_delta: delta }, key })
            : transfer
              ? client.send("PATCH", `${realm}/transfer?${source}&toType=discord-id&toValue=${snowflake(i % 7)}`, {
                  body: { amount: 1 },
                  key,
                })
              : client.send("PATCH", `${realm}/balance?type=discord-id&value=${snowflake(i % 7)}`, {
                  body: { amount: delta },
                  key,
                }),
        tally,
        { onAnswer: (answer) => answers.push({ answer, credit }) },
      );
      if (transfer && answer.status === 422) return; // the source ran dry for a moment: refused, nothing booked
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      if (transfer) transfers.add(`api:${key}`);
      else booked.set(`api:${key}`, delta);
    },
    () => stopping,
  );

  const recoveries: number[] = [];
  const readyz: Answer[] = [];
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    await pause(800);
    cluster.crash();
    const from = performance.now();
    await pause(DOWN_MS);
    readyz.push(await client.send("GET", "/readyz"));
    const to = performance.now();
    downs.push({ from, to });
    cluster.start();
    const back = performance.now();
    const deadline = back + 10_000;
    let recovered: number | undefined;
    while (recovered === undefined && performance.now() < deadline) {
      const first = answers.find(({ answer }) => answer.at > back && answer.status === 200);
      if (first) recovered = first.answer.at - back;
      else await pause(20);
    }
    expect(recovered, `cycle ${cycle}: no 2xx within 10 s of the database's return`).toBeDefined();
    recoveries.push(recovered as number);
  }
  stopping = true;
  await load;
  client.close();

  // Never a 500, and every request made while the database was away got a quick 503 in its route's dialect.
  expect(tally.fiveHundreds.map((a) => `${a.status} ${JSON.stringify(a.body)}`)).toEqual([]);
  const whileDown = answers.filter(({ answer }) =>
    downs.some((d) => answer.at - answer.ms >= d.from && answer.at < d.to),
  );
  expect(whileDown.length).toBeGreaterThan(CYCLES * 10);
  for (const { answer, credit } of whileDown) {
    expect(answer.status).toBe(503);
    expect(answer.ms).toBeLessThan(1_000);
    expect(answer.headers["retry-after"]).toBe("1");
    expect(Object.keys(answer.body).sort()).toEqual(credit ? ["message"] : ["error", "message"]);
  }
  for (const probe of readyz) {
    expect(probe.status).toBe(503);
    expect(probe.ms).toBeLessThan(1_000);
  }
  expect(Math.max(...recoveries)).toBeLessThan(10_000);
  expect(api.child.exitCode).toBeNull();
  expect(api.child.signalCode).toBeNull();

  // Nothing lost or doubled: every request acknowledged once and booked exactly once.
  const database = await openDatabase({ url: cluster.url, maxConnections: 2 });
  try {
    const byKey = await entriesByKey(database);
    const keys = await storedKeys(database);
    const lost = [...booked.keys()].filter((key) => !byKey.has(key));
    lost.push(...[...transfers].filter((key) => !keys.has(key)));
    const doubled = [...byKey.entries()].filter(([, n]) => n !== 1).map(([key]) => key);
    expect({ lost, doubled }).toEqual({ lost: [], doubled: [] });
    expect(byKey.size).toBe(booked.size);
    expect(await entriesOfKind(database, "transfer")).toBe(2 * transfers.size);
    await expectAuditClean(database.db);
    const facts = await ledgerFacts(database);
    const total = [...booked.values()].reduce((sum, delta) => sum + delta, 0);
    expect(facts).toMatchObject({ entries: booked.size + 2 * transfers.size, unbalanced: 0, brokenChain: 0 });
    expect(facts.balances).toBe(BigInt(total));
    expect(facts.entrySum).toBe(BigInt(total));
  } finally {
    await database.close();
  }
  console.log(
    `database outage: ${CYCLES} cycles, ${booked.size + transfers.size} requests acknowledged (${transfers.size} transfers) (${tally.summary()}), ` +
      `${whileDown.length} answered while down (max ${Math.max(...whileDown.map((w) => w.answer.ms)).toFixed(0)} ms), ` +
      `recovery ${recoveries.map((r) => r.toFixed(0)).join("/")} ms, lost 0, doubled 0`,
  );
}, 180_000);
