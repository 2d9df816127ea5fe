import { connect } from "node:net";
import { buildApp } from "@tally/api";
import { createBalanceService } from "@tally/core";
import { openTestDatabase } from "@tally/db/testing";
import { expect, it } from "vitest";
import { BOOTSTRAP_KEY } from "../harness.ts";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it("requests arriving while the server shuts down get 503 with Retry-After in their route's dialect", async () => {
  const t = await openTestDatabase();
  const core = createBalanceService(t.db);
  await core.ensureBootstrap({ apiKey: BOOTSTRAP_KEY });
  const app = await buildApp({ core, rateLimit: false });
  // An in-flight request keeps the server draining while the next ones arrive on the same connection.
  app.get("/slow", { config: { public: true } }, async () => {
    await pause(1_000);
    return { done: true };
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const { port } = app.server.address() as { port: number };

  const request = (path: string) =>
    `GET ${path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${BOOTSTRAP_KEY}\r\n\r\n`;
  // Two connections, each busy with a slow request when the close begins; each then sends one more request.
  const connections = [0, 1].map(() => {
    const socket = connect(port, "127.0.0.1");
    const state = { socket, received: "", ended: new Promise((resolve) => socket.on("close", resolve)) };
    socket.on("data", (chunk) => {
      state.received += chunk;
    });
    socket.write(request("/slow"));
    return state;
  });
  await pause(200);
  const closing = app.close();
  await pause(100);
  connections[0]?.socket.write(request("/users/someone/credits"));
  connections[1]?.socket.write(request("/api/v1/realms/default/transactions"));
  await closing;
  await Promise.all(connections.map((c) => c.ended));
  await t.close();

  const parse = (raw: string) =>
    raw.split(/(?=HTTP\/1\.1 )/).map((response) => {
      const [head = "", body = ""] = response.split("\r\n\r\n");
      return { status: head.split(" ")[1], retryAfter: /retry-after: (\S+)/i.exec(head)?.[1], body };
    });
  const [credit, realm] = connections.map((c) => parse(c.received));
  const message = "The server is shutting down; retry shortly.";
  expect(credit?.map((r) => r.status)).toEqual(["200", "503"]);
  expect(credit?.[1]).toEqual({ status: "503", retryAfter: "1", body: JSON.stringify({ message }) });
  expect(realm?.[1]).toEqual({
    status: "503",
    retryAfter: "1",
    body: JSON.stringify({ error: "UNAVAILABLE", message }),
  });
});
