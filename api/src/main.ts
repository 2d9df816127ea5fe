import { performance } from "node:perf_hooks";
import {
  API_KEY_REVOKED_CHANNEL,
  BINDING_CHANGED_CHANNEL,
  CURRENCY_CHANGED_CHANNEL,
  createBalanceService,
  GIVING_RULES_CHANGED_CHANNEL,
  setIdempotencyTtlHours,
  startIdempotencyPruner,
  startWebhookPruner,
  startWebhookWorker,
} from "@tally/core";
import { type OpenDatabase, openDatabase } from "@tally/db";
import type { FastifyInstance } from "fastify";
import { buildApp } from "./app.ts";
import { boltLogger, createLogger, type Logger, startupLogger } from "./create-logger.ts";
import { type Env, parseEnv } from "./env.ts";
import { sharedRateLimitStore } from "./plugins/shared-rate-limit.ts";

/** How long a stop (SIGTERM, SIGINT) may take before the process exits anyway. */
const STOP_DEADLINE_MS = 15_000;

/** The process entry point: reads the environment once, opens the database, and opens every configured door. */
async function main(): Promise<void> {
  const env = parseEnv();
  const logger = createLogger(env.LOG_LEVEL);
  const say = startupLogger(logger);
  const database = await openTallyDatabase(env, say);
  // What is open so far, closed in this order: no new requests first (in-flight ones finish), then the bots once
  // their replies are out, then the pool.
  let app: FastifyInstance | undefined;
  // What to stop after the HTTP server and before the pool: bots (in-flight replies) and the webhook worker.
  const stops: (() => Promise<void>)[] = [];
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    say.info(`${signal}: finishing in-flight requests and bot replies, then closing`);
    setTimeout(() => {
      say.error(`Still busy ${STOP_DEADLINE_MS / 1000} s after ${signal}: exiting anyway`);
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
    for (const stop of [() => app?.close(), ...stops, () => database.close()]) {
      await Promise.resolve(stop()).catch((error: unknown) => say.error(error));
    }
    say.info("Stopped");
    process.exit(0);
  };
  // Installed before the doors open, so a stop during start-up still closes what is open.
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));

  const replica = env.DATABASE_REPLICA_URL ? await openReplica(env, say) : undefined;
  if (replica) stops.push(() => replica.close());
  const core = createBalanceService(database.db, { readDb: replica?.db });
  const boot = await core.ensureBootstrap({ apiKey: env.TALLY_API_KEY });
  setIdempotencyTtlHours(env.TALLY_IDEMPOTENCY_TTL_HOURS);
  say.info(`Realm: ${boot.realmId}${boot.createdRealm ? " (created with currency points)" : ""}`);
  // Printed the moment it exists: a start that fails later (port busy, a bot refused) must not lose it.
  if (boot.createdKey) {
    say.info(
      `API key for realm ${boot.realmId} (shown once, store it now): ${boot.createdKey} — \`pnpm tally key create --realm ${boot.realmId}\` makes another`,
    );
  }

  const doors = ["REST API", "dashboard (/dashboard)"];
  const publicUrl = env.TALLY_PUBLIC_URL ?? `http://${env.HOST.includes(":") ? `[${env.HOST}]` : env.HOST}:${env.PORT}`;
  // Each bot's library is loaded only when its door is configured.
  const discordBot = env.DISCORD_PUBLIC_KEY || env.DISCORD_TOKEN ? await import("@tally/discord-bot") : undefined;
  const discordInteractions = env.DISCORD_PUBLIC_KEY
    ? discordBot?.createDiscordInteractionsHandler({
        core,
        publicKey: env.DISCORD_PUBLIC_KEY,
        apiUrl: env.DISCORD_API_URL,
        publicUrl,
      })
    : undefined;
  if (discordInteractions) doors.push("Discord interactions (POST /discord/interactions)");
  const slack = env.SLACK_BOT_TOKEN
    ? await (await import("@tally/slack-bot")).createSlackApp({
        core,
        botToken: env.SLACK_BOT_TOKEN,
        signingSecret: env.SLACK_SIGNING_SECRET ?? "",
        appToken: env.SLACK_APP_TOKEN,
        apiUrl: env.SLACK_API_URL,
        adminUserIds: env.SLACK_ADMIN_USER_IDS,
        bulkMax: env.TALLY_BULK_MAX,
        logger: boltLogger(logger.child({ door: "slack" })),
        publicUrl,
      })
    : undefined;

  /**
   * Keeps a cache fresh by NOTIFY: each notice names what to drop, and every (re)start of the listening drops it
   * all, since what was announced while the LISTEN connection was down never arrives.
   */
  const follow = (channel: string, what: string, onNotice: (payload: string) => void, onRestart: () => void) => {
    database.listen(channel, onNotice, onRestart).then(
      (stop) => stops.push(stop),
      (error: unknown) => logger.error({ err: error }, `cannot listen for ${what}`),
    );
  };

  app = await buildApp({
    core,
    loggerInstance: logger,
    discordInteractions,
    slackEvents: slack && !env.SLACK_APP_TOKEN ? slack.handler : undefined,
    ready: database.ping,
    webhookAllowPrivate: env.TALLY_WEBHOOK_ALLOW_PRIVATE,
    rateLimit:
      env.TALLY_RATE_LIMIT === 0
        ? false
        : {
            max: env.TALLY_RATE_LIMIT,
            timeWindowMs: 60_000,
            // Several processes may share PostgreSQL: the limit is counted there; PGlite has one process.
            store: database.driver === "postgres" ? sharedRateLimitStore(database.db) : undefined,
          },
    keyRevocations: (onRevoked, onMissed) =>
      follow(API_KEY_REVOKED_CHANNEL, "API key revocations", onRevoked, onMissed),
    dashboard: { publicUrl },
    trustProxy: env.TALLY_TRUST_PROXY,
  });
  // Another process's currency or giving-rules change reaches this process's cache at once; so does any
  // change to a binding, which PostgreSQL announces itself.
  follow(
    CURRENCY_CHANGED_CHANNEL,
    "currency changes",
    (realmId) => core.forgetCurrencies(realmId),
    () => core.forgetCurrencies(),
  );
  follow(
    GIVING_RULES_CHANGED_CHANNEL,
    "giving rule changes",
    (realmId) => core.forgetGivingRules(realmId),
    () => core.forgetGivingRules(),
  );
  follow(
    BINDING_CHANGED_CHANNEL,
    "binding changes",
    (binding) => core.forgetBinding(binding),
    () => core.forgetBinding("*"),
  );
  const address = await app.listen({ host: env.HOST, port: env.PORT }).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`Cannot listen on ${env.HOST}:${env.PORT} (settings HOST, PORT): ${error.code ?? error.message}`);
  });
  const webhooks = startWebhookWorker(database.db, {
    allowPrivate: env.TALLY_WEBHOOK_ALLOW_PRIVATE,
    onError: (error) => logger.error({ err: error }, "webhook delivery pass failed"),
    onRecovered: () => logger.info("webhook delivery works again"),
  });
  stops.push(() => webhooks.stop());
  const pruner = startIdempotencyPruner(database.db, {
    onError: (error) => logger.error({ err: error }, "pruning expired idempotency keys failed"),
    onRecovered: () => logger.info("pruning expired idempotency keys works again"),
  });
  stops.push(() => pruner.stop());
  const webhookPruner = startWebhookPruner(database.db, {
    retentionDays: env.TALLY_WEBHOOK_RETENTION_DAYS,
    onError: (error) => logger.error({ err: error }, "pruning webhook history failed"),
    onRecovered: () => logger.info("pruning webhook history works again"),
  });
  stops.push(() => webhookPruner.stop());

  if (slack) {
    if (env.SLACK_APP_TOKEN) {
      await slack.start?.();
      doors.push("Slack (Socket Mode)");
    } else {
      doors.push("Slack (POST /slack/events)");
    }
    stops.push(() => slack.stop());
  }
  if (env.DISCORD_TOKEN && discordBot) {
    const apiUrl = env.DISCORD_API_URL ?? discordBot.DEFAULT_DISCORD_API;
    const discord = await discordBot
      .holdGatewayShards({
        core,
        token: env.DISCORD_TOKEN,
        apiUrl,
        shardCount: env.DISCORD_SHARD_COUNT,
        // Several processes may share PostgreSQL: each shard is held by one of them; PGlite has one process.
        lockUrl: database.driver === "postgres" ? env.DATABASE_URL : undefined,
        onShard: ({ shard, count, state }) => say.info(`Discord shard ${shard} of ${count} ${state}`),
        membersIntent: env.DISCORD_MEMBERS_INTENT,
        bulkMax: env.TALLY_BULK_MAX,
        publicUrl,
        onError: (error) => logger.error({ door: "discord", err: error }, "Discord interaction failed"),
      })
      .catch((error: unknown) => {
        throw new Error(
          `The Discord gateway could not start (DISCORD_TOKEN, DISCORD_API_URL ${apiUrl}): ${error instanceof Error ? error.message : error}`,
        );
      });
    stops.push(() => discord.stop());
    doors.push("Discord gateway");
  }

  const where = database.driver === "pglite" ? `embedded PGlite in ${env.TALLY_DATA_DIR}` : "PostgreSQL";
  say.info(`Tally is listening on ${address} (database: ${where})`);
  say.info(`Doors open: ${doors.join(", ")}`);
  say.info(`Ready in ${Math.round(performance.now())} ms`);
}

/** The warning for each failed attempt to reach a database that may still be starting. */
const notReachableYet =
  (say: Logger, setting: string) =>
  ({ attempt, delayMs, reason }: { attempt: number; delayMs: number; reason: string }) =>
    say.warn(`${setting} not reachable yet (attempt ${attempt}: ${reason}); retrying in ${delayMs / 1000} s`);

/** The read replica: never migrated (it is read-only; it follows the primary's schema). */
async function openReplica(env: Env, say: Logger): Promise<OpenDatabase> {
  if (!env.DATABASE_URL) throw new Error("DATABASE_REPLICA_URL is set without DATABASE_URL: a replica needs a primary");
  const replica = await openDatabase({
    url: env.DATABASE_REPLICA_URL,
    setting: "DATABASE_REPLICA_URL",
    maxConnections: env.DATABASE_POOL_MAX,
    prepare: env.DATABASE_PREPARE,
    migrate: false,
    connectRetryMs: env.DATABASE_CONNECT_RETRY_SECONDS * 1000,
    onConnectRetry: notReachableYet(say, "DATABASE_REPLICA_URL"),
  });
  say.info("Read replica: leaderboards, history and exports read from DATABASE_REPLICA_URL");
  return replica;
}

/** Opens PostgreSQL (waiting for it while it starts) or the embedded database, and says which. */
async function openTallyDatabase(env: Env, say: Logger): Promise<OpenDatabase> {
  const database = await openDatabase({
    url: env.DATABASE_URL,
    dataDir: env.TALLY_DATA_DIR,
    maxConnections: env.DATABASE_POOL_MAX,
    prepare: env.DATABASE_PREPARE,
    connectRetryMs: env.DATABASE_CONNECT_RETRY_SECONDS * 1000,
    onConnectRetry: notReachableYet(say, "DATABASE_URL"),
  });
  say.info(
    database.driver === "postgres"
      ? `Database: PostgreSQL, pool of up to ${env.DATABASE_POOL_MAX} connections (DATABASE_POOL_MAX)`
      : `Database: embedded PGlite in ${env.TALLY_DATA_DIR}`,
  );
  return database;
}

main().catch((error: unknown) => {
  createLogger("info", "stderr").fatal(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
