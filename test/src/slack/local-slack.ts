import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";

export const TEAM_ID = "T0TALLY";
export const BOT_USER_ID = "UTALLYBOT";

/** A workspace member as `users.info` describes them. */
export interface SlackUserFixture {
  id: string;
  name: string;
  is_admin?: boolean;
  is_owner?: boolean;
  is_bot?: boolean;
}

export interface ApiCall {
  method: string;
  token: string | undefined;
  params: Record<string, unknown>;
}

/**
 * A stand-in for Slack on 127.0.0.1: the Web API methods Tally's Bolt app calls (`auth.test`, `users.info`,
 * `usergroups.users.list`, `chat.postMessage`, `chat.postEphemeral`, `apps.connections.open`), a sink for `response_url` posts, and a Socket Mode WebSocket that
 * says hello, delivers envelopes and records the acks.
 */
export interface LocalSlack {
  url: string;
  /** SLACK_API_URL for the bot. */
  apiUrl: string;
  botToken: string;
  appToken: string;
  calls: ApiCall[];
  users: Map<string, SlackUserFixture>;
  /** User groups by id (`S…`), each with its members' user ids, for `usergroups.users.list`. */
  usergroups: Map<string, string[]>;
  /** Makes a Web API method answer only after `ms` (0 restores), as a slow Slack would. */
  slowDown(method: string, ms: number): void;
  /** A fresh response_url; what Bolt's respond() posts there is kept under `key`. */
  responseUrl(key: string): string;
  /** Resolves with the `count`-th body posted to that response_url (1-based). */
  waitForResponse(key: string, count?: number, timeoutMs?: number): Promise<Record<string, unknown>>;
  responses(key: string): Record<string, unknown>[];
  /** Calls `listener` with each response_url post as it arrives. */
  onResponse(listener: (key: string, body: Record<string, unknown>) => void): () => void;
  socket: {
    connections(): number;
    /** Sends `{type:"slash_commands", envelope_id, payload}` to every connection and resolves with the ack. */
    sendSlashCommand(
      payload: Record<string, unknown>,
      timeoutMs?: number,
    ): Promise<{ envelope_id: string; payload: unknown }>;
    /** Sends an `events_api` envelope with this event callback and resolves with the ack. */
    sendEvent(payload: Record<string, unknown>, timeoutMs?: number): Promise<{ envelope_id: string }>;
    received: unknown[];
  };
  close(): Promise<void>;
}

export async function startLocalSlack(users: SlackUserFixture[] = []): Promise<LocalSlack> {
  const botToken = `xoxb-local-${randomUUID()}`;
  const appToken = `xapp-local-${randomUUID()}`;
  const calls: ApiCall[] = [];
  const userMap = new Map(users.map((u) => [u.id, u]));
  const usergroups = new Map<string, string[]>();
  const delays = new Map<string, number>();
  const posted = new Map<string, Record<string, unknown>[]>();
  const waiters = new Set<() => void>();
  const responseListeners = new Set<(key: string, body: Record<string, unknown>) => void>();
  const notify = () => {
    for (const w of waiters) w();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });
  const wss = new WebSocketServer({ noServer: true });
  const sockets = new Set<WebSocket>();
  const received: unknown[] = [];
  server.on("upgrade", (req, socket, head) => {
    if (!req.url?.startsWith("/socket-mode")) return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on("close", () => sockets.delete(ws));
      ws.on("message", (data) => {
        received.push(JSON.parse(String(data)));
        notify();
      });
      ws.send(
        JSON.stringify({
          type: "hello",
          num_connections: sockets.size,
          debug_info: { host: "local-slack", approximate_connection_time: 3600 },
          connection_info: { app_id: "A0TALLY" },
        }),
      );
    });
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = new URL(req.url ?? "/", url).pathname;
    if (path.startsWith("/responses/")) {
      const key = decodeURIComponent(path.slice("/responses/".length));
      const body = JSON.parse(raw) as Record<string, unknown>;
      posted.set(key, [...(posted.get(key) ?? []), body]);
      for (const listener of responseListeners) listener(key, body);
      notify();
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
      return;
    }
    if (!path.startsWith("/api/")) {
      res.writeHead(404).end();
      return;
    }
    const method = path.slice("/api/".length);
    const params = parseParams(req.headers["content-type"], raw);
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? (params.token as string | undefined);
    calls.push({ method, token, params });
    const delay = delays.get(method) ?? 0;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    const json = (body: Record<string, unknown>): void => {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    const expected = method === "apps.connections.open" ? appToken : botToken;
    if (token !== expected) return json({ ok: false, error: "invalid_auth" });
    switch (method) {
      case "auth.test":
        return json({
          ok: true,
          url: "https://tally-local.slack.com/",
          team: "Tally Local",
          user: "tally",
          team_id: TEAM_ID,
          user_id: BOT_USER_ID,
          bot_id: "B0TALLY",
          is_enterprise_install: false,
        });
      case "users.info": {
        const user = userMap.get(String(params.user));
        if (!user) return json({ ok: false, error: "user_not_found" });
        return json({
          ok: true,
          user: {
            id: user.id,
            team_id: TEAM_ID,
            name: user.name,
            real_name: user.name,
            is_admin: user.is_admin ?? false,
            is_owner: user.is_owner ?? false,
            is_primary_owner: false,
            is_bot: user.is_bot ?? false,
            profile: { display_name: user.name, real_name: user.name },
          },
        });
      }
      case "usergroups.users.list": {
        const members = usergroups.get(String(params.usergroup));
        if (!members) return json({ ok: false, error: "no_such_subteam" });
        return json({ ok: true, users: members });
      }
      case "chat.postMessage":
        return json({ ok: true, channel: params.channel, ts: `${Date.now() / 1000}`, message: { text: params.text } });
      case "chat.postEphemeral":
        return json({ ok: true, message_ts: `${Date.now() / 1000}` });
      case "apps.connections.open":
        return json({ ok: true, url: `${url.replace("http", "ws")}/socket-mode?ticket=${randomUUID()}` });
      default:
        return json({ ok: false, error: "unknown_method" });
    }
  }

  function until<T>(ready: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const value = ready();
        if (value === undefined) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`local Slack: timed out waiting for ${what}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  }

  return {
    url,
    apiUrl: `${url}/api/`,
    botToken,
    appToken,
    calls,
    users: userMap,
    usergroups,
    slowDown: (method, ms) => {
      delays.set(method, ms);
    },
    responseUrl: (key) => `${url}/responses/${encodeURIComponent(key)}`,
    responses: (key) => posted.get(key) ?? [],
    onResponse: (listener) => {
      responseListeners.add(listener);
      return () => responseListeners.delete(listener);
    },
    waitForResponse: (key, count = 1, timeoutMs = 10_000) =>
      until(() => posted.get(key)?.[count - 1], timeoutMs, `response #${count} at ${key}`),
    socket: {
      connections: () => sockets.size,
      received,
      sendEvent: (payload, timeoutMs = 10_000) => {
        const envelopeId = randomUUID();
        const envelope = { envelope_id: envelopeId, type: "events_api", accepts_response_payload: false, payload };
        for (const ws of sockets) ws.send(JSON.stringify(envelope));
        return until(
          () =>
            received.find(
              (m): m is { envelope_id: string } =>
                typeof m === "object" && m !== null && (m as { envelope_id?: unknown }).envelope_id === envelopeId,
            ),
          timeoutMs,
          `the ack of envelope ${envelopeId}`,
        );
      },
      sendSlashCommand: (payload, timeoutMs = 10_000) => {
        const envelopeId = randomUUID();
        const envelope = { envelope_id: envelopeId, type: "slash_commands", accepts_response_payload: true, payload };
        for (const ws of sockets) ws.send(JSON.stringify(envelope));
        return until(
          () =>
            received.find(
              (m): m is { envelope_id: string; payload: unknown } =>
                typeof m === "object" && m !== null && (m as { envelope_id?: unknown }).envelope_id === envelopeId,
            ),
          timeoutMs,
          `the ack of envelope ${envelopeId}`,
        );
      },
    },
    close: async () => {
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("end", () => resolve(body));
    req.on("error", reject);
  });
}

function parseParams(contentType: string | undefined, raw: string): Record<string, unknown> {
  if (!raw) return {};
  if (contentType?.startsWith("application/json")) return JSON.parse(raw) as Record<string, unknown>;
  return Object.fromEntries(new URLSearchParams(raw));
}
