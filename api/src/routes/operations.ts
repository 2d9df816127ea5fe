import type { FastifyInstance } from "fastify";
import { z } from "zod";

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
        summary: "Readiness: the database is reachable",
        response: {
          200: status("ready"),
          503: status("unavailable").extend({ message: z.string() }).describe("The database is not reachable"),
        },
      },
    },
    async (request, reply) => {
      try {
        await ready?.();
        return { status: "ready" };
      } catch (error) {
        request.log.warn({ err: error }, "database not reachable");
        return reply.code(503).send({ status: "unavailable", message: "The database is not reachable." });
      }
    },
  );
}
