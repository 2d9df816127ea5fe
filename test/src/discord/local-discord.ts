import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";

export const APPLICATION_ID = "900000000000000001";
export const BOT_USER_ID = "900000000000000001";

/** One request the bot made to the REST API, with the path percent-decoded (`%40original` -> `@original`). */
export interface RecordedRequest {
  method: string;
  path: string;
  rawPath: string;
  query: URLSearchParams;
  authorization: string | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: recorded bodies are asserted field by field
  body: any;
}

/**
 * A stand-in for Discord on 127.0.0.1: REST under `/api/v10` (gateway discovery, interaction callbacks, webhook
 * edits and follow-ups, command registration) and a gateway WebSocket that says HELLO, answers IDENTIFY with READY,
 * acknowledges heartbeats and dispatches the interactions a test hands it.
 */
export interface LocalDiscord {
  url: string;
  /** DISCORD_API_URL for the bot: discord.js appends `/v10`. */
  apiUrl: string;
  token: string;
  requests: RecordedRequest[];
  /** The IDENTIFY payloads received, to check the intents asked for. */
  identifies: Record<string, unknown>[];
  gateway: {
    connections(): number;
    /** The shard ids of the connections identified now, one entry per connection. */
    shards(): number[];
    /**
     * Sends `INTERACTION_CREATE` with this payload to the connections identified for its guild's shard
     * (`(guild_id >> 22) % count`, as Discord routes), or to every connection for an interaction without a guild.
     */
    dispatchInteraction(interaction: Record<string, unknown>): void;
    /** Sends any dispatch (`MESSAGE_REACTION_ADD`, …) with this payload to every identified connection. */
    dispatch(event: string, data: Record<string, unknown>): void;
  };
  /** Guild members `GET /guilds/{guild}/members/{user}` knows, by user id (any guild). */
  members: Map<string, { user: Record<string, unknown>; joined_at: string; roles?: string[] }>;
  /** Messages sent to DM channels (`POST /users/@me/channels`, then `POST /channels/{id}/messages`), by recipient. */
  directMessages(userId: string): RecordedRequest[];
  /** Resolves with the `count`-th recorded request matching, waiting for it if needed. */
  waitFor(match: (r: RecordedRequest) => boolean, count?: number, timeoutMs?: number): Promise<RecordedRequest>;
  /** Calls `listener` with each request as it arrives (benchmarks time arrivals without scanning `requests`). */
  onRequest(listener: (r: RecordedRequest) => void): () => void;
  /** Makes REST requests whose path starts with `prefix` answer only after `ms` (0 restores), as a slow Discord would. */
  slowDown(prefix: string, ms: number): void;
  /**
   * Guild members `GET /guilds/{id}/members` lists (in id order, `limit` and `after` as Discord pages them), and
   * whether the app has the Server Members intent: without it Discord answers 403 Missing Access (code 50001).
   */
  guildMembers: { members: Map<string, GuildMemberFixture[]>; intent: boolean };
  /** Requests to `POST /interactions/{id}/{token}/callback` for this interaction id. */
  callbacks(interactionId: string): RecordedRequest[];
  close(): Promise<void>;
}

export interface GuildMemberFixture {
  id: string;
  username: string;
  bot?: boolean;
  roles: string[];
}

/** `shards`: what `GET /gateway/bot` recommends; an interaction goes to the connection identified for its guild's shard. */
export async function startLocalDiscord(options: { shards?: number } = {}): Promise<LocalDiscord> {
  const guildMembers = { members: new Map<string, GuildMemberFixture[]>(), intent: true };
  const token = `local.${randomBytes(12).toString("base64url")}`;
  const requests: RecordedRequest[] = [];
  const identifies: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  const listeners = new Set<(r: RecordedRequest) => void>();
  const delays = new Map<string, number>();
  // Each identified connection and its shard `[id, count]` (IDENTIFY's `shard`, `[0, 1]` when it sent none).
  const identified = new Map<WebSocket, [number, number]>();
  let seq = 0;
  let nextMessageId = 1_000_000_000_000_000_000n;
  const members = new Map<string, { user: Record<string, unknown>; joined_at: string; roles?: string[] }>();
  const dmChannels = new Map<string, string>(); // channel id -> recipient

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      send(res, 500, { message: String(error), code: 0 });
    });
  });
  const wss = new WebSocketServer({ server });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString();
    const parsedUrl = new URL(req.url ?? "/", url);
    const path = decodeURIComponent(parsedUrl.pathname);
    let body: unknown = text;
    if (text && req.headers["content-type"]?.includes("application/json")) body = JSON.parse(text);
    const recorded: RecordedRequest = {
      method: req.method ?? "GET",
      path,
      rawPath: parsedUrl.pathname,
      query: parsedUrl.searchParams,
      authorization: req.headers.authorization,
      body,
    };
    requests.push(recorded);
    for (const listener of listeners) listener(recorded);
    for (const wake of waiters) wake();
    const delay = [...delays].find(([prefix]) => path.startsWith(prefix))?.[1] ?? 0;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    const answered = route(recorded);
    send(res, answered.status, answered.body);
  }

  function route(r: RecordedRequest): { status: number; body?: unknown } {
    const parts = r.path.replace(/^\/api\/v10\//, "").split("/");
    const [head, ...rest] = parts;
    const authorised = r.authorization === `Bot ${token}`;
    if (head === "gateway" && rest[0] === "bot" && r.method === "GET") {
      if (!authorised) return answer(401, { message: "401: Unauthorized", code: 0 });
      return answer(200, {
        url: url.replace(/^http/, "ws"),
        shards: options.shards ?? 1,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 },
      });
    }
    if (head === "guilds" && rest[1] === "members" && rest.length === 2 && r.method === "GET") {
      if (!authorised) return answer(401, { message: "401: Unauthorized", code: 0 });
      if (!guildMembers.intent) return answer(403, { message: "Missing Access", code: 50001 });
      const limit = Math.min(Number(r.query.get("limit") ?? 1), 1000);
      const after = BigInt(r.query.get("after") ?? "0");
      const page = [...(guildMembers.members.get(rest[0] ?? "") ?? [])]
        .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1))
        .filter((m) => BigInt(m.id) > after)
        .slice(0, limit)
        .map((m) => ({
          user: {
            id: m.id,
            username: m.username,
            discriminator: "0",
            global_name: null,
            avatar: null,
            ...(m.bot ? { bot: true } : {}),
          },
          roles: m.roles,
          joined_at: "2024-01-01T00:00:00.000Z",
          deaf: false,
          mute: false,
          flags: 0,
        }));
      return answer(200, page);
    }
    if (head === "interactions" && rest[2] === "callback" && r.method === "POST") {
      // Interaction tokens authorise themselves; Discord answers 204 unless with_response=true.
      if (r.query.get("with_response") === "true") return answer(200, { interaction: { id: rest[0] } });
      return answer(204);
    }
    if (head === "webhooks" && rest[0] === APPLICATION_ID) {
      if (r.method === "DELETE") return answer(204);
      return answer(200, message(r.body));
    }
    if (head === "applications" && rest[0] === APPLICATION_ID && r.method === "PUT") {
      if (!authorised) return answer(401, { message: "401: Unauthorized", code: 0 });
      const commands = Array.isArray(r.body) ? r.body : [];
      return answer(
        200,
        commands.map((c: Record<string, unknown>, i: number) => ({
          ...c,
          id: String(nextMessageId + BigInt(i)),
          application_id: APPLICATION_ID,
          version: "1",
          ...(rest[1] === "guilds" ? { guild_id: rest[2] } : {}),
        })),
      );
    }
    if (head === "guilds" && rest[1] === "members" && r.method === "GET") {
      if (!authorised) return answer(401, { message: "401: Unauthorized", code: 0 });
      const member = members.get(rest[2] ?? "");
      if (!member) return answer(404, { message: "Unknown Member", code: 10007 });
      return answer(200, {
        roles: [],
        deaf: false,
        mute: false,
        flags: 0,
        pending: false,
        nick: null,
        avatar: null,
        premium_since: null,
        ...member,
      });
    }
    if (head === "users" && rest[0] === "@me" && rest[1] === "channels" && r.method === "POST") {
      if (!authorised) return answer(401, { message: "401: Unauthorized", code: 0 });
      const recipient = String((r.body as { recipient_id?: string }).recipient_id);
      const id = `77${recipient.slice(2)}`;
      dmChannels.set(id, recipient);
      return answer(200, {
        id,
        type: 1,
        last_message_id: null,
        flags: 0,
        recipients: [{ id: recipient, username: "someone", discriminator: "0" }],
      });
    }
    if (head === "channels" && rest[1] === "messages" && r.method === "POST") {
      if (!authorised) return answer(401, { message: "401: Unauthorized", code: 0 });
      return answer(200, { ...message(r.body), channel_id: rest[0] });
    }
    return answer(404, { message: "404: Not Found", code: 0 });
  }

  function message(body: unknown): Record<string, unknown> {
    nextMessageId += 1n;
    return {
      id: String(nextMessageId),
      channel_id: "910000000000000001",
      type: 20,
      content: "",
      embeds: [],
      attachments: [],
      mentions: [],
      mention_roles: [],
      pinned: false,
      mention_everyone: false,
      tts: false,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      flags: 0,
      components: [],
      author: { id: BOT_USER_ID, username: "tally", discriminator: "0", global_name: null, avatar: null, bot: true },
      ...(typeof body === "object" ? body : {}),
    };
  }

  wss.on("connection", (socket) => {
    const sendOp = (payload: Record<string, unknown>) => socket.send(JSON.stringify({ s: null, t: null, ...payload }));
    sendOp({ op: 10, d: { heartbeat_interval: 41_250 } });
    socket.on("close", () => identified.delete(socket));
    socket.on("message", (raw) => {
      const packet = JSON.parse(raw.toString()) as { op: number; d: Record<string, unknown> };
      if (packet.op === 1) sendOp({ op: 11 });
      if (packet.op === 2) {
        if (packet.d.token !== token) {
          socket.close(4004, "Authentication failed.");
          return;
        }
        identifies.push(packet.d);
        const shard: [number, number] = Array.isArray(packet.d.shard) ? (packet.d.shard as [number, number]) : [0, 1];
        identified.set(socket, shard);
        seq += 1;
        sendOp({
          op: 0,
          t: "READY",
          s: seq,
          d: {
            v: 10,
            user: {
              id: BOT_USER_ID,
              username: "tally",
              discriminator: "0",
              global_name: null,
              avatar: null,
              bot: true,
            },
            guilds: [],
            session_id: randomBytes(16).toString("hex"),
            resume_gateway_url: url.replace(/^http/, "ws"),
            shard: identified.get(socket),
            application: { id: APPLICATION_ID, flags: 0 },
          },
        });
      }
    });
  });

  return {
    url,
    apiUrl: `${url}/api`,
    token,
    requests,
    identifies,
    guildMembers,
    gateway: {
      connections: () => identified.size,
      shards: () => [...identified.values()].map(([id]) => id).sort((a, b) => a - b),
      dispatchInteraction(interaction) {
        seq += 1;
        const packet = JSON.stringify({ op: 0, t: "INTERACTION_CREATE", s: seq, d: interaction });
        const guild = typeof interaction.guild_id === "string" ? BigInt(interaction.guild_id) : undefined;
        for (const [socket, [id, count]] of identified) {
          if (guild === undefined || Number((guild >> 22n) % BigInt(count)) === id) socket.send(packet);
        }
      },
      dispatch(event, data) {
        seq += 1;
        const packet = JSON.stringify({ op: 0, t: event, s: seq, d: data });
        for (const socket of identified.keys()) socket.send(packet);
      },
    },
    slowDown: (prefix, ms) => {
      if (ms > 0) delays.set(prefix, ms);
      else delays.delete(prefix);
    },
    members,
    directMessages: (userId) =>
      requests.filter((r) => {
        const channel = /^\/api\/v10\/channels\/(\d+)\/messages$/.exec(r.path)?.[1];
        return r.method === "POST" && channel !== undefined && dmChannels.get(channel) === userId;
      }),
    waitFor(match, count = 1, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = requests.filter(match);
          const hit = found[count - 1];
          if (!hit) return;
          cleanup();
          resolve(hit);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `no matching request within ${timeoutMs} ms; saw ${requests.map((r) => `${r.method} ${r.path}`).join(", ")}`,
            ),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    onRequest(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    callbacks: (interactionId) =>
      requests.filter(
        (r) => r.path.startsWith(`/api/v10/interactions/${interactionId}/`) && r.path.endsWith("/callback"),
      ),
    close: async () => {
      for (const socket of wss.clients) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const answer = (status: number, body?: unknown) => ({ status, body });

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}
