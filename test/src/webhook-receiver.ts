import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

export interface ReceivedEvent {
  id: string;
  timestamp: string;
  signature: string;
  // biome-ignore lint/suspicious/noExplicitAny: event bodies are asserted field by field
  body: any;
  raw: string;
  receivedAt: number;
}

/**
 * A webhook receiver as a customer would write one: it verifies every request with the `standardwebhooks` package
 * against each secret it holds, records what verified, and answers as the test tells it (`status`, or `hang`).
 */
export interface Receiver {
  url: string;
  secrets: string[];
  /** Every verified request, in arrival order (duplicates included). */
  received: ReceivedEvent[];
  /** Requests whose signature did not verify with any secret. */
  rejected: number;
  /** The answer to the next requests: an HTTP status, or "hang" to never answer. */
  mode: number | "hang";
  /** Requests being handled right now, and the most ever at once per webhook-id. */
  inFlight: Map<string, number>;
  maxConcurrentPerId: number;
  /** Requests held unanswered in "hang" mode. */
  held: number;
  /** Verified events, one per webhook-id (the dedup a receiver does). */
  unique(): ReceivedEvent[];
  close(): Promise<void>;
}

const readBody = (request: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    let text = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => {
      text += chunk;
    });
    request.on("end", () => resolve(text));
    request.on("error", reject);
  });

export async function startReceiver(secrets: string[] = [], options: { delayMs?: number } = {}): Promise<Receiver> {
  const hanging: IncomingMessage[] = [];
  const receiver: Receiver = {
    url: "",
    secrets,
    received: [],
    rejected: 0,
    mode: 200,
    inFlight: new Map(),
    maxConcurrentPerId: 0,
    held: 0,
    unique: () => [...new Map(receiver.received.map((e) => [e.id, e])).values()],
    close: async () => {
      for (const request of hanging) request.socket.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server: Server = createServer(async (request, response) => {
    const id = String(request.headers["webhook-id"] ?? "");
    const now = (receiver.inFlight.get(id) ?? 0) + 1;
    receiver.inFlight.set(id, now);
    receiver.maxConcurrentPerId = Math.max(receiver.maxConcurrentPerId, now);
    try {
      const raw = await readBody(request);
      const headers = {
        "webhook-id": id,
        "webhook-timestamp": String(request.headers["webhook-timestamp"] ?? ""),
        "webhook-signature": String(request.headers["webhook-signature"] ?? ""),
      };
      const verified = receiver.secrets.some((secret) => {
        try {
          new Webhook(secret).verify(raw, headers);
          return true;
        } catch {
          return false;
        }
      });
      if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
      if (receiver.mode === "hang") {
        hanging.push(request);
        receiver.held += 1;
        return;
      }
      if (!verified) {
        receiver.rejected += 1;
        response.writeHead(401).end("bad signature");
        return;
      }
      if (receiver.mode >= 200 && receiver.mode < 300) {
        receiver.received.push({
          id,
          timestamp: headers["webhook-timestamp"],
          signature: headers["webhook-signature"],
          body: JSON.parse(raw),
          raw,
          receivedAt: Date.now(),
        });
      }
      response.writeHead(receiver.mode).end(receiver.mode >= 300 ? "x".repeat(5000) : "ok");
    } finally {
      receiver.inFlight.set(id, (receiver.inFlight.get(id) ?? 1) - 1);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return receiver;
}

/** Polls until `check` holds, or fails with `what` after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
