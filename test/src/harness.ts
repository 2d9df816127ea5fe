import { type AppDeps, buildApp } from "@tally/api";
import { type BalanceService, createBalanceService } from "@tally/core";
import { openTestDatabase, type TestDatabase } from "@tally/db/testing";
import type { FastifyInstance } from "fastify";

export const BOOTSTRAP_KEY = "tly_harness_bootstrap_key";

/** One test file's world: a database, the core over it, and the API listening on a free loopback port. */
export interface Harness {
  t: TestDatabase;
  core: BalanceService;
  app: FastifyInstance;
  url: string;
  /** Empties the database and re-creates realm `default` with the bootstrap key. */
  reset(): Promise<void>;
  close(): Promise<void>;
  /** fetch against the API with the bootstrap key (unless `auth` says otherwise) and a JSON body. */
  call(
    method: string,
    path: string,
    options?: { body?: unknown; rawBody?: string; auth?: string | null; headers?: Record<string, string> },
  ): Promise<{
    status: number; // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
    body: any;
    headers: Headers;
  }>;
}

export async function startHarness(
  deps: Partial<AppDeps> = {},
  options: { maxConnections?: number; onStatement?: (text: string) => void; now?: () => Date } = {},
): Promise<Harness> {
  const t = await openTestDatabase({ maxConnections: options.maxConnections, onStatement: options.onStatement });
  const core = createBalanceService(t.db, { now: options.now });
  await core.ensureBootstrap({ apiKey: BOOTSTRAP_KEY });
  const app = await buildApp({ core, ready: t.ping, ...deps });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  return {
    t,
    core,
    app,
    url,
    reset: async () => {
      await t.reset();
      await core.ensureBootstrap({ apiKey: BOOTSTRAP_KEY });
    },
    close: async () => {
      await app.close();
      await t.close();
    },
    call: async (method, path, o = {}) => {
      const headers: Record<string, string> = { ...o.headers };
      const auth = o.auth === undefined ? BOOTSTRAP_KEY : o.auth;
      if (auth !== null) headers.authorization = `Bearer ${auth}`;
      let body: string | undefined = o.rawBody;
      if (o.body !== undefined) {
        body = JSON.stringify(o.body);
        headers["content-type"] ??= "application/json";
      }
      const response = await fetch(`${url}${path}`, { method, headers, body });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {}
      return { status: response.status, body: parsed, headers: response.headers };
    },
  };
}
