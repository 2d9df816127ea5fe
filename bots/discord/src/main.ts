import { createBalanceService } from "@tally/core";
import { openDatabase } from "@tally/db";
import { pino } from "pino";
import { parseDiscordEnv } from "./env.ts";
import { DEFAULT_DISCORD_API } from "./interactions-handler.ts";
import { startDiscordGateway } from "./start-discord-gateway.ts";

/**
 * The gateway bot on its own, for scale-out next to API processes on one PostgreSQL (`pnpm start` also runs it
 * in-process when DISCORD_TOKEN is set; run one or the other for a given token, not both). Logs are pino JSON lines,
 * as the API's are; start-up lines are logged at `info` whatever LOG_LEVEL says.
 */
async function main(): Promise<void> {
  const env = parseDiscordEnv();
  const logger = pino({ level: env.LOG_LEVEL, name: "discord-bot" });
  const say = logger.levelVal > 30 ? logger.child({}, { level: "info" }) : logger;
  const database = await openDatabase({
    url: env.DATABASE_URL,
    maxConnections: env.DATABASE_POOL_MAX,
    prepare: env.DATABASE_PREPARE,
    connectRetryMs: env.DATABASE_CONNECT_RETRY_SECONDS * 1000,
    onConnectRetry: ({ attempt, delayMs, reason }) =>
      say.warn(`DATABASE_URL not reachable yet (attempt ${attempt}: ${reason}); retrying in ${delayMs / 1000} s`),
  });
  say.info(`Database: PostgreSQL, pool of up to ${env.DATABASE_POOL_MAX} connections (DATABASE_POOL_MAX)`);
  const core = createBalanceService(database.db);
  // The bot may be the first process on a fresh database: it creates realm `default` just as the API would.
  const boot = await core.ensureBootstrap({ apiKey: env.TALLY_API_KEY });
  if (boot.createdKey) {
    say.info(`API key for realm ${boot.realmId} (shown once, store it now): ${boot.createdKey}`);
  }
  const apiUrl = env.DISCORD_API_URL ?? DEFAULT_DISCORD_API;
  const bot = await startDiscordGateway({
    core,
    token: env.DISCORD_TOKEN,
    apiUrl,
    membersIntent: env.DISCORD_MEMBERS_INTENT,
    bulkMax: env.TALLY_BULK_MAX,
    onError: (error) => logger.error({ err: error }, "Discord interaction failed"),
  }).catch((error: unknown) => {
    throw new Error(
      `The Discord gateway could not start (DISCORD_TOKEN, DISCORD_API_URL ${apiUrl}): ${error instanceof Error ? error.message : error}`,
    );
  });
  say.info(`Tally Discord bot is online as ${bot.client.user?.tag ?? "unknown"} (gateway)`);

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    say.info(`${signal}: finishing in-flight replies, disconnecting from Discord, then closing the database`);
    setTimeout(() => process.exit(1), 15_000).unref();
    await bot.stop();
    await database.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((error: unknown) => {
  pino({ name: "discord-bot" }, pino.destination(2)).fatal(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
