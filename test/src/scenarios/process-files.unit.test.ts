import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { envSchema } from "@tally/api";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const read = (file: string) => readFileSync(`${root}${file}`, "utf8");

describe("the files a self-hoster expects", () => {
  it(".env.example lists every setting the server reads", () => {
    const listed = new Set([...read(".env.example").matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
    const missing = Object.keys(envSchema.shape).filter((key) => !listed.has(key));
    expect(missing).toEqual([]);
  });

  it("compose.yaml runs Tally on PostgreSQL, started only once PostgreSQL is healthy", () => {
    interface Service {
      image?: string;
      build?: string;
      depends_on?: unknown;
      environment?: Record<string, string>;
      healthcheck?: { test: string[] };
    }
    const compose = parse(read("compose.yaml")) as { services: Record<string, Service> };
    expect(Object.keys(compose.services).sort()).toEqual(["postgres", "tally"]);
    const { postgres, tally } = compose.services;
    expect(postgres?.image).toMatch(/^postgres:/);
    expect(postgres?.healthcheck?.test.join(" ")).toContain("pg_isready");
    expect(tally?.build).toBe(".");
    expect(tally?.depends_on).toEqual({ postgres: { condition: "service_healthy" } });
    expect(tally?.environment?.DATABASE_URL).toMatch(/^postgres:\/\/tally:.*@postgres:5432\/tally$/);
    expect(tally?.environment?.HOST).toBe("0.0.0.0");
    expect(tally?.healthcheck?.test.join(" ")).toContain("/readyz");
    // The variables compose fills in must be ones Tally knows, spelled the same way.
    for (const key of Object.keys(tally?.environment ?? {})) expect(Object.keys(envSchema.shape)).toContain(key);
  });

  it("the Dockerfile is multi-stage, runs node directly as a non-root user and checks /readyz", () => {
    const dockerfile = read("Dockerfile");
    const stages = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const image of stages) expect(image).toBe("node:22-slim");
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/main\.js"\]$/m);
    expect(dockerfile).toMatch(/^ENV .*HOST=0\.0\.0\.0/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK [\s\S]*\/readyz/m);
    expect(dockerfile).toContain("pnpm install --prod --frozen-lockfile --filter tally");
    expect(read(".dockerignore")).toMatch(/node_modules/);
  });

  it("is MIT licensed, in LICENSE and in package.json", () => {
    expect(read("LICENSE")).toMatch(/^MIT License/);
    expect(JSON.parse(read("package.json")).license).toBe("MIT");
  });
});
