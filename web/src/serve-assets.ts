import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";

const TYPES: Record<string, string> = {
  "dashboard.css": "text/css; charset=utf-8",
  "dashboard.js": "text/javascript; charset=utf-8",
  "uPlot.min.css": "text/css; charset=utf-8",
  "uPlot.iife.min.js": "text/javascript; charset=utf-8",
};

/**
 * Where an asset lives: beside the production bundle (`dist/web-assets`, copied by scripts/build.mjs), else in this
 * package (`web/assets`) or, for uPlot, in its npm package. Nothing is fetched from a CDN.
 */
function locate(name: string): string {
  const bundled = fileURLToPath(new URL(`./web-assets/${name}`, import.meta.url));
  if (existsSync(bundled)) return bundled;
  if (name.startsWith("uPlot")) return createRequire(import.meta.url).resolve(`uplot/dist/${name}`);
  return fileURLToPath(new URL(`../assets/${name}`, import.meta.url));
}

/** `/dashboard/assets/*`: the stylesheet, the chart script and uPlot, read once and served from memory. */
export function serveAssets(scope: FastifyInstance): void {
  const files = new Map(
    Object.entries(TYPES).map(([name, type]) => [name, { type, body: readFileSync(locate(name)) }]),
  );
  scope.get<{ Params: { name: string } }>("/assets/:name", async (request, reply) => {
    const file = files.get(request.params.name);
    if (!file) return reply.callNotFound();
    return reply.header("cache-control", "public, max-age=3600").type(file.type).send(file.body);
  });
}
