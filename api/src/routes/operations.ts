import type { FastifyInstance } from "fastify";

export function operationsRoutes(app: FastifyInstance, ready: (() => Promise<void>) | undefined): void {
  const open = { config: { public: true, rateLimit: false }, schema: { hide: true } } as const;
  app.get("/healthz", open, async () => ({ status: "ok" }));
  app.get("/readyz", open, async (request, reply) => {
    try {
      await ready?.();
      return { status: "ready" };
    } catch (error) {
      request.log.warn({ err: error }, "database not reachable");
      return reply.code(503).send({ status: "unavailable", message: "The database is not reachable." });
    }
  });
}
