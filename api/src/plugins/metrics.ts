import type { BalanceService, LedgerEvent } from "@tally/core";
import type { FastifyInstance } from "fastify";
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";
import { z } from "zod";

/** Process-wide metrics (CPU, memory, heap, GC, event loop) are collected once, however many apps a process builds. */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * Prometheus text at GET /metrics (prom-client): the process's default metrics, HTTP latency by route and status,
 * and the ledger's own counters, fed by core's observer hook so core never depends on prom-client.
 */
export function registerMetrics(app: FastifyInstance, core: BalanceService): void {
  const registry = new Registry();
  const http = new Histogram({
    name: "tally_http_request_duration_seconds",
    help: "Time to answer HTTP requests, by method, route and status.",
    labelNames: ["method", "route", "status"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const entries = new Counter({
    name: "tally_ledger_entries_total",
    help: "Ledger entries written, by kind and door (via).",
    labelNames: ["kind", "via"],
    registers: [registry],
  });
  const replays = new Counter({
    name: "tally_idempotent_replays_total",
    help: "Writes answered with the stored result of an earlier request with the same idempotency key, by door.",
    labelNames: ["via"],
    registers: [registry],
  });
  const refusals = new Counter({
    name: "tally_refusals_total",
    help: "Writes refused by core, by error code and door.",
    labelNames: ["code", "via"],
    registers: [registry],
  });
  const commands = new Counter({
    name: "tally_bot_commands_total",
    help: "Chat commands answered, by platform and outcome (ok, refused, failed).",
    labelNames: ["platform", "outcome"],
    registers: [registry],
  });

  const count = (event: LedgerEvent) => {
    switch (event.type) {
      case "entries":
        return entries.inc({ kind: event.kind, via: event.via }, event.count);
      case "replay":
        return replays.inc({ via: event.via });
      case "refusal":
        return refusals.inc({ code: event.code, via: event.via });
      case "command":
        return commands.inc({ platform: event.platform, outcome: event.outcome });
    }
  };
  const stop = core.observe(count);
  app.addHook("onClose", async () => {
    stop();
  });

  // The histogram's `_count` is the request counter. One child per label set, found by a string key: prom-client
  // would otherwise hash the label object on every request.
  const children = new Map<string, { observe(value: number): void }>();
  app.addHook("onResponse", (request, reply, done) => {
    const route = request.routeOptions.url ?? "unmatched";
    const key = `${request.method} ${reply.statusCode} ${route}`;
    let child = children.get(key);
    if (!child) {
      child = http.labels(request.method, route, String(reply.statusCode));
      children.set(key, child);
    }
    child.observe(reply.elapsedTime / 1000);
    done();
  });

  const schema = {
    tags: ["operations"],
    summary: "Prometheus metrics (text exposition format)",
    response: { 200: { description: "Prometheus text", content: { "text/plain": { schema: z.string() } } } },
  };
  app.get("/metrics", { config: { public: true, rateLimit: false }, schema }, async (_request, reply) => {
    const text = `${await processMetrics().metrics()}\n${await registry.metrics()}`;
    return reply.type(registry.contentType).send(text);
  });
}
