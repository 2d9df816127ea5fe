import type { FastifyInstance } from "fastify";

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

interface Series {
  count: number;
  sum: number;
  buckets: number[];
}

/** Prometheus text at GET /metrics: request counts and latency histograms by method, route and status. */
export function registerMetrics(app: FastifyInstance): void {
  const series = new Map<string, Series>();
  const started = Date.now();

  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    const key = `method="${request.method}",route="${route}",status="${reply.statusCode}"`;
    let s = series.get(key);
    if (!s) {
      s = { count: 0, sum: 0, buckets: BUCKETS.map(() => 0) };
      series.set(key, s);
    }
    const seconds = reply.elapsedTime / 1000;
    s.count += 1;
    s.sum += seconds;
    BUCKETS.forEach((le, i) => {
      if (seconds <= le) (s.buckets[i] as number) += 1;
    });
  });

  app.get("/metrics", { config: { public: true }, schema: { hide: true } }, async (_request, reply) => {
    const lines = [
      "# HELP tally_http_requests_total HTTP requests answered.",
      "# TYPE tally_http_requests_total counter",
      ...[...series].map(([labels, s]) => `tally_http_requests_total{${labels}} ${s.count}`),
      "# HELP tally_http_request_duration_seconds Time to answer HTTP requests.",
      "# TYPE tally_http_request_duration_seconds histogram",
      ...[...series].flatMap(([labels, s]) => [
        ...BUCKETS.map((le, i) => `tally_http_request_duration_seconds_bucket{${labels},le="${le}"} ${s.buckets[i]}`),
        `tally_http_request_duration_seconds_bucket{${labels},le="+Inf"} ${s.count}`,
        `tally_http_request_duration_seconds_sum{${labels}} ${s.sum}`,
        `tally_http_request_duration_seconds_count{${labels}} ${s.count}`,
      ]),
      "# HELP tally_process_uptime_seconds Seconds since the API started.",
      "# TYPE tally_process_uptime_seconds gauge",
      `tally_process_uptime_seconds ${(Date.now() - started) / 1000}`,
      "",
    ];
    return reply.type("text/plain; version=0.0.4").send(lines.join("\n"));
  });
}
