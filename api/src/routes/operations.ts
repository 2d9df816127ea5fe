import type { FastifyInstance } from "fastify";
import { RETRY_AFTER_SECONDS } from "../plugins/errors.ts";

// A load balancer needs a quick answer: a database that does not answer a trivial query this fast counts as away.
const READY_WITHIN_MS = 1000;

export function operationsRoutes(app: FastifyInstance, ready: (() => Promise<void>) | undefined): void {
  const open = { config: { public: true, rateLimit: false }, schema: { hide: true } } as const;
  app.get("/healthz", open, async () => ({ status: "ok" }));
  app.get("/readyz", open, async (request, reply) => {
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
  });
}
