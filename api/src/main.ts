import { createBalanceService, setIdempotencyTtlHours, startIdempotencyPruner } from "@tally/core";
import { openDatabase } from "@tally/db";
import { buildApp } from "./app.ts";
import { parseEnv } from "./env.ts";

/** The process entry point: reads the environment once, opens the database, and opens every configured door. */
async function main(): Promise<void> {
  const env = parseEnv();
  const database = await openDatabase({ url: env.DATABASE_URL, dataDir: env.TALLY_DATA_DIR });
  const core = createBalanceService(database.db);
  const boot = await core.ensureBootstrap({ apiKey: env.TALLY_API_KEY });
  setIdempotencyTtlHours(env.TALLY_IDEMPOTENCY_TTL_HOURS);
  const pruner = startIdempotencyPruner(database.db, { onError: (error) => console.error("pruning keys:", error) });

  const doors = ["REST API"];
  const stops: (() => Promise<void>)[] = [pruner.stop];
  // Each bot's library is loaded only when its door is configured.
  const discordBot = env.DISCORD_PUBLIC_KEY || env.DISCORD_TOKEN ? await import("@tally/discord-bot") : undefined;
  const discordInteractions = env.DISCORD_PUBLIC_KEY
    ? discordBot?.createDiscordInteractionsHandler({
        core,
        publicKey: env.DISCORD_PUBLIC_KEY,
        apiUrl: env.DISCORD_API_URL,
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
      })
    : undefined;

  const app = await buildApp({
    core,
    logger: { level: env.LOG_LEVEL },
    discordInteractions,
    slackEvents: slack && !env.SLACK_APP_TOKEN ? slack.handler : undefined,
    ready: database.ping,
    rateLimit: env.TALLY_RATE_LIMIT === 0 ? false : { max: env.TALLY_RATE_LIMIT, timeWindowMs: 60_000 },
  });
  const address = await app.listen({ host: env.HOST, port: env.PORT });

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
    const discord = await discordBot.startDiscordGateway({
      core,
      token: env.DISCORD_TOKEN,
      apiUrl: env.DISCORD_API_URL,
    });
    stops.push(() => discord.stop());
    doors.push("Discord gateway");
  }

  const where = database.driver === "pglite" ? `embedded PGlite in ${env.TALLY_DATA_DIR}` : "PostgreSQL";
  console.log(`Tally is listening on ${address} (database: ${where})`);
  console.log(`Realm: ${boot.realmId}${boot.createdRealm ? " (created with currency points)" : ""}`);
  if (boot.createdKey) {
    console.log(`API key for realm ${boot.realmId} (shown once, store it now): ${boot.createdKey}`);
  }
  console.log(`Doors open: ${doors.join(", ")}`);

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    console.log(`${signal}: finishing in-flight requests, then closing`);
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    await app.close(); // stops accepting, waits for in-flight requests
    for (const stop of stops) await stop().catch((error) => console.error(error));
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
