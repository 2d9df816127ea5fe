import { createBalanceService } from "@tally/core";
import { openDatabase } from "@tally/db";
import { parseDiscordEnv } from "./env.ts";
import { startDiscordGateway } from "./start-discord-gateway.ts";

/**
 * The gateway bot on its own, for scale-out next to API processes on one PostgreSQL (`pnpm start` also runs it
 * in-process when DISCORD_TOKEN is set; run one or the other for a given token, not both).
 */
async function main(): Promise<void> {
  const env = parseDiscordEnv();
  const database = await openDatabase({ url: env.DATABASE_URL, dataDir: env.TALLY_DATA_DIR });
  const core = createBalanceService(database.db);
  // The bot may be the first process on a fresh database: it creates realm `default` just as the API would.
  const boot = await core.ensureBootstrap({ apiKey: env.TALLY_API_KEY });
  if (boot.createdKey) {
    console.log(`API key for realm ${boot.realmId} (shown once, store it now): ${boot.createdKey}`);
  }
  const bot = await startDiscordGateway({ core, token: env.DISCORD_TOKEN, apiUrl: env.DISCORD_API_URL });
  console.log(`Tally Discord bot is online as ${bot.client.user?.tag ?? "unknown"} (gateway)`);

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    console.log(`${signal}: disconnecting from Discord, then closing the database`);
    await bot.stop();
    await database.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
