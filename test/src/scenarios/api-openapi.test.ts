import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "../harness.ts";
import { exampleRequest, isPublic, type Json, operationsOf, pressAll } from "../openapi-requests.ts";

let h: Harness;
let doc: Json;
beforeAll(async () => {
  h = await startHarness();
  doc = (await h.call("GET", "/docs/json")).body;
});
afterAll(() => h.close());

const operations = () => operationsOf(doc);
const resolve = (schema: Json): Json =>
  schema.$ref ? doc.components.schemas[String(schema.$ref).split("/").pop() ?? ""] : schema;

describe("the OpenAPI document", () => {
  it("describes every operation, including /healthz, /readyz and /metrics", () => {
    const names = operations().map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    expect(names.length).toBeGreaterThanOrEqual(21);
    expect(names).toEqual(expect.arrayContaining(["GET /healthz", "GET /readyz", "GET /metrics"]));
    expect(names).toEqual(
      expect.arrayContaining(["PUT /users/{user_id}/credits", "PATCH /api/v1/realms/{realmId}/credentials/balance"]),
    );
  });

  it("gives every operation a success schema and every error it can answer in the route's dialect", () => {
    for (const { path, method, op } of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      const success = Object.entries(op.responses as Record<string, Json>).filter(([s]) => s.startsWith("2"));
      expect(success.length, where).toBeGreaterThan(0);
      for (const [status, response] of success) {
        if (status === "204") continue; // no content, by definition
        expect(Object.values(response.content ?? {})[0], where).toMatchObject({ schema: expect.any(Object) });
      }
      for (const [, response] of Object.entries(op.responses as Record<string, Json>)) {
        expect(response.headers?.["x-request-id"], where).toBeDefined();
      }
      if (isPublic(op)) continue;
      const credit = path.startsWith("/users");
      const shared = credit ? ["400", "401", "429", "503"] : ["400", "401", "403", "429", "503"];
      expect(Object.keys(op.responses), where).toEqual(expect.arrayContaining(shared));
      for (const [status, response] of Object.entries(op.responses as Record<string, Json>)) {
        if (status.startsWith("2")) continue;
        const schema = resolve(response.content["application/json"].schema);
        expect(Object.keys(schema.properties).sort(), `${where} ${status}`).toEqual(
          credit ? ["message"] : ["error", "message"],
        );
      }
      expect(op.responses["401"].headers["www-authenticate"], where).toBeDefined();
      expect(op.responses["429"].headers["retry-after"], where).toBeDefined();
      expect(op.responses["503"].headers["retry-after"], where).toBeDefined();
      if (op.requestBody) expect(Object.keys(op.responses), where).toContain("413");
    }
  });

  it("documents Idempotency-Key on every write and Idempotent-Replayed on its success", () => {
    const writes = operations().filter(({ op }) =>
      (op.parameters ?? []).some((p: Json) => p.in === "header" && p.name === "idempotency-key"),
    );
    expect(writes.map(({ method, path }) => `${method.toUpperCase()} ${path}`)).toEqual(
      expect.arrayContaining([
        "POST /users",
        "PUT /users/{user_id}",
        "PUT /users/{user_id}/credits",
        "PATCH /api/v1/realms/{realmId}/credentials/balance",
        "POST /api/v1/realms/{realmId}/credentials/link",
        "PATCH /api/v1/realms/{realmId}/credentials/transaction",
        "PATCH /api/v1/realms/{realmId}/credentials/transfer",
        "POST /api/v1/realms/{realmId}/currencies",
      ]),
    );
    for (const { op } of writes) {
      const [, success] = Object.entries(op.responses as Record<string, Json>).find(([s]) => s.startsWith("2")) ?? [];
      expect(success.headers["idempotent-replayed"]).toBeDefined();
    }
    expect(doc.info.description).toMatch(/Idempotency-Key[\s\S]*Idempotent-Replayed[\s\S]*x-request-id/);
  });
});

describe("every request example, pressed in order on a fresh install", () => {
  it("answers 2xx for every one, twice over", async () => {
    // Round 2 presses again what needs no server-generated id (a new webhook or entry needs a new key and id).
    const again = operations().filter((operation) => exampleRequest(operation).missing.length === 0);
    for (const [round, ops] of [
      [1, operations()],
      [2, again],
    ] as const) {
      await pressAll(ops, async (operation, url, request) => {
        const where = `round ${round}: ${operation.method.toUpperCase()} ${operation.path}`;
        const res = await h.call(operation.method.toUpperCase(), url, {
          body: request.body,
          headers: request.headers,
          auth: isPublic(operation.op) ? null : undefined,
        });
        expect(res.status, `${where} -> ${JSON.stringify(res.body)}`).toBeGreaterThanOrEqual(200);
        expect(res.status, where).toBeLessThan(300);
        return res;
      });
    }
  });
});
