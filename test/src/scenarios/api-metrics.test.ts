import { runPointsCommand } from "@tally/bot-commands";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "../harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

async function scrape() {
  const res = await fetch(`${h.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusTextFormat(await res.text());
}

/** The value of one counter series, 0 when it has not been seen yet. */
async function counter(name: string, labels: Record<string, string>): Promise<number> {
  const family = (await scrape()).find((f) => f.name === name);
  const sample = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return Number(sample?.value ?? 0);
}

const realm = "/api/v1/realms/default";

describe("GET /metrics (prom-client)", () => {
  it("is valid Prometheus text with the default process, heap, GC and event-loop metrics", async () => {
    const families = await scrape();
    const names = families.map((f) => f.name);
    for (const name of [
      "process_cpu_user_seconds_total",
      "process_resident_memory_bytes",
      "nodejs_heap_size_used_bytes",
      "nodejs_gc_duration_seconds",
      "nodejs_eventloop_lag_seconds",
      "tally_http_request_duration_seconds",
    ]) {
      expect(names).toContain(name);
    }
    for (const family of families) expect(family.help.length).toBeGreaterThan(0);
    expect(new Set(names).size).toBe(names.length);
  });

  it("counts entries by kind and door, replays, refusals by code and bot commands by platform and outcome", async () => {
    const credits = () => counter("tally_ledger_entries_total", { kind: "adjust", via: "api" });
    const transfers = () => counter("tally_ledger_entries_total", { kind: "transfer", via: "api" });
    const replays = () => counter("tally_idempotent_replays_total", { via: "api" });
    const refusals = () => counter("tally_refusals_total", { code: "INSUFFICIENT_BALANCE", via: "api" });
    const discordOk = () => counter("tally_bot_commands_total", { platform: "discord", outcome: "ok" });
    const discordRefused = () => counter("tally_bot_commands_total", { platform: "discord", outcome: "refused" });
    const before = [await credits(), await transfers(), await replays(), await refusals()];
    const beforeBot = [await discordOk(), await discordRefused()];

    const delta = (amount: number, key?: string) =>
      h.call("PATCH", `${realm}/credentials/balance?type=email&value=ada@example.com`, {
        body: { amount },
        headers: key ? { "idempotency-key": key } : {},
      });
    expect((await delta(10, "metrics-1")).status).toBe(200);
    const replay = await delta(10, "metrics-1");
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect((await delta(-1000)).status).toBe(422);
    const moved = await h.call(
      "PATCH",
      `${realm}/credentials/transfer?fromType=email&fromValue=ada@example.com&toType=email&toValue=bo@example.com`,
      { body: { amount: 3 } },
    );
    expect(moved.status).toBe(200);

    const invocation = {
      platform: "discord" as const,
      realmId: "default",
      invoker: { id: "300000000000000001", isManager: true },
    };
    const given = await runPointsCommand(h.core, {
      ...invocation,
      idempotencyKey: "discord:metrics-1",
      command: { name: "give", target: { kind: "discord", id: "300000000000000002" }, amount: 5 },
    });
    expect(given.kind).toBe("success");
    const refused = await runPointsCommand(h.core, {
      ...invocation,
      invoker: { ...invocation.invoker, isManager: false },
      idempotencyKey: "discord:metrics-2",
      command: { name: "give", target: { kind: "discord", id: "300000000000000002" }, amount: 5 },
    });
    expect(refused.kind).toBe("error");

    expect([await credits(), await transfers(), await replays(), await refusals()]).toEqual([
      (before[0] ?? 0) + 1,
      (before[1] ?? 0) + 2,
      (before[2] ?? 0) + 1,
      (before[3] ?? 0) + 1,
    ]);
    expect(await counter("tally_ledger_entries_total", { kind: "adjust", via: "discord" })).toBe(1);
    expect([await discordOk(), await discordRefused()]).toEqual([(beforeBot[0] ?? 0) + 1, (beforeBot[1] ?? 0) + 1]);
  });
});
