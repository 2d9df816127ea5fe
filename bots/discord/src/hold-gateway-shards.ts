import { openSessionLocks, type SessionLocks } from "@tally/db";
import { DEFAULT_DISCORD_API } from "./interactions-handler.ts";
import { type GatewayOptions, startDiscordGateway } from "./start-discord-gateway.ts";

/** The advisory-lock namespace of gateway shards: lock (SHARD_LOCKS, shard id) is held by the shard's process. */
const SHARD_LOCKS = 727_002;

export interface ShardOptions extends GatewayOptions {
  /** DISCORD_SHARD_COUNT: a number, or `auto` for what `GET /gateway/bot` recommends. */
  shardCount: number | "auto";
  /** PostgreSQL to hold shard locks on (DATABASE_URL); absent (PGlite): this process is the only one and runs all. */
  lockUrl?: string | undefined;
  /** How often a process looks for shards nobody holds (default 5 s: a dead holder's shards move within ~5 s). */
  pollMs?: number;
  /** Told when this process connects or loses a shard. */
  onShard?: (event: { shard: number; count: number; state: "connected" | "lost" }) => void;
}

export interface HeldShards {
  count: number;
  held(): number[];
  stop(): Promise<void>;
}

/**
 * Runs the gateway with discord.js's own sharding (`shards`/`shardCount`), one Client per shard this process holds.
 * Which process holds which shard is decided by PostgreSQL session advisory locks, one per shard, on a connection of
 * their own: a shard is connected only by the process holding its lock, and a process that dies or stops closes that
 * connection, which releases its locks, so another process takes the shards over on its next look.
 */
export async function holdGatewayShards(options: ShardOptions): Promise<HeldShards> {
  const count = options.shardCount === "auto" ? await recommendedShards(options) : options.shardCount;
  if (!options.lockUrl) {
    const bot = await startDiscordGateway({ ...options, shards: { ids: [...Array(count).keys()], count } });
    return { count, held: () => [...Array(count).keys()], stop: bot.stop };
  }
  const lockUrl = options.lockUrl;
  const clients = new Map<number, { stop(): Promise<void> }>();
  let locks: SessionLocks | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  /** Every shard nobody holds: take its lock, then connect it. Throws when a shard could not connect. */
  async function look(): Promise<void> {
    if (!locks) {
      const session = await openSessionLocks(lockUrl);
      locks = session;
      // The connection died: its locks are gone, so the shards must go too (another process may take them now).
      session.lost.then(() => release(session));
    }
    const session = locks;
    for (let shard = 0; shard < count && !stopped; shard++) {
      if (clients.has(shard) || !(await session.tryLock(SHARD_LOCKS, shard))) continue;
      try {
        const bot = await startDiscordGateway({ ...options, shards: { ids: [shard], count } });
        clients.set(shard, bot);
        options.onShard?.({ shard, count, state: "connected" });
      } catch (error) {
        await session.unlock(SHARD_LOCKS, shard).catch(() => {});
        throw error;
      }
    }
  }

  async function release(session: SessionLocks): Promise<void> {
    if (locks !== session) return;
    locks = undefined;
    const lost = [...clients.entries()];
    clients.clear();
    await Promise.allSettled(lost.map(([, bot]) => bot.stop()));
    for (const [shard] of lost) options.onShard?.({ shard, count, state: "lost" });
  }

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      look()
        .catch((error: unknown) => options.onError?.(error))
        .finally(schedule);
    }, options.pollMs ?? 5_000);
  };

  try {
    await look();
  } catch (error) {
    stopped = true;
    await Promise.allSettled([...clients.values()].map((bot) => bot.stop()));
    await locks?.close();
    throw error;
  }
  schedule();
  return {
    count,
    held: () => [...clients.keys()].sort((a, b) => a - b),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await Promise.allSettled([...clients.values()].map((bot) => bot.stop()));
      clients.clear();
      await locks?.close();
    },
  };
}

/** `GET /gateway/bot`'s recommended shard count, the way Discord's own `auto` works. */
async function recommendedShards(options: ShardOptions): Promise<number> {
  const base = options.apiUrl ?? DEFAULT_DISCORD_API;
  const response = await fetch(`${base}/v10/gateway/bot`, { headers: { authorization: `Bot ${options.token}` } });
  if (!response.ok) throw new Error(`GET /gateway/bot answered ${response.status} (DISCORD_SHARD_COUNT=auto)`);
  const { shards } = (await response.json()) as { shards?: unknown };
  if (typeof shards !== "number" || !Number.isInteger(shards) || shards < 1) {
    throw new Error("GET /gateway/bot gave no shard count (DISCORD_SHARD_COUNT=auto)");
  }
  return shards;
}
