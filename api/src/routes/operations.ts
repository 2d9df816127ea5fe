import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { RETRY_AFTER_SECONDS } from "../plugins/errors.ts";

// A load balancer needs a quick answer: a database that does not answer a trivial query this fast counts as away.
const READY_WITHIN_MS = 1000;

const status = (example: string) => z.object({ status: z.string().meta({ examples: [example] }) });

export function operationsRoutes(app: FastifyInstance, ready: (() => Promise<void>) | undefined): void {
  const config = { public: true, rateLimit: false } as const;
  const tags = ["operations"];
  app.get(
    "/healthz",
    { config, schema: { tags, summary: "Liveness: the process is up", response: { 200: status("ok") } } },
    async () => ({ status: "ok" }),
  );
  app.get(
    "/readyz",
    {
      config,
      schema: {
        tags,
        summary: "Readiness: the database answers within a second",
        response: {
          200: status("ready"),
          503: status("unavailable").extend({ message: z.string() }).describe("The database is not reachable"),
        },
      },
    },
    async (request, reply) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          ready?.(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${READY_WITHIN_MS} ms`)), READY_WITHIN_MS);
          }),
        ]);
        return { status: "ready" };
      } catch (error) {
        request.log.warn({ err: error }, "database not reachable");
        reply.header("retry-after", String(RETRY_AFTER_SECONDS));
        return reply.code(503).send({ status: "unavailable", message: "The database is not reachable." });
      } finally {
        clearTimeout(timer);
      }
    },
  );
}
