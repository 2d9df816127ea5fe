import { resolveDataDir } from "@tally/db";
import { discordEnvSchema } from "@tally/discord-bot/env";
import { z } from "zod";

const optional = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .optional();

const url = (name: string) =>
  optional.refine((v) => v === undefined || URL.canParse(v), { message: `${name} must be a URL` });

/** Every setting Tally reads, parsed once at start-up; `core` and `db` never read the environment. */
// Settings the standalone Discord bot reads too are defined once, in its package (its `env` entry only, so the API
// does not load discord.js without a bot): both processes parse them alike.
const shared = discordEnvSchema.shape;

export const envSchema = z.object({
  DATABASE_URL: optional.refine((v) => v === undefined || /^postgres(ql)?:\/\//.test(v), {
    message: "DATABASE_URL must start with postgres:// or postgresql://",
  }),
  DATABASE_POOL_MAX: shared.DATABASE_POOL_MAX,
  /** A streaming replica of DATABASE_URL for leaderboards, history and exports. */
  DATABASE_REPLICA_URL: optional.refine((v) => v === undefined || /^postgres(ql)?:\/\//.test(v), {
    message: "DATABASE_REPLICA_URL must start with postgres:// or postgresql://",
  }),
  /** `false`: no named prepared statements (PgBouncer before 1.21 in transaction pooling mode needs that). */
  DATABASE_PREPARE: shared.DATABASE_PREPARE,
  /** How long start-up waits for an unreachable PostgreSQL (one still starting) before giving up. */
  DATABASE_CONNECT_RETRY_SECONDS: shared.DATABASE_CONNECT_RETRY_SECONDS,
  /** Relative to Tally's root folder, never the current one. */
  TALLY_DATA_DIR: z.string().trim().min(1).default("./.tally").transform(resolveDataDir),
  HOST: z.string().trim().min(1).default("127.0.0.1"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  TALLY_API_KEY: optional.refine((v) => v === undefined || v.length >= 16, {
    message: "TALLY_API_KEY must be at least 16 characters",
  }),
  DISCORD_TOKEN: optional,
  DISCORD_APPLICATION_ID: optional,
  DISCORD_PUBLIC_KEY: optional.refine((v) => v === undefined || /^[0-9a-fA-F]{64}$/.test(v), {
    message: "DISCORD_PUBLIC_KEY must be the application's 64-hex-digit public key",
  }),
  DISCORD_API_URL: url("DISCORD_API_URL"),
  /** Gateway shards; with PostgreSQL, each is connected by one process at a time (advisory locks decide which). */
  DISCORD_SHARD_COUNT: shared.DISCORD_SHARD_COUNT,
  SLACK_BOT_TOKEN: optional,
  SLACK_SIGNING_SECRET: optional,
  SLACK_APP_TOKEN: optional,
  SLACK_API_URL: url("SLACK_API_URL"),
  SLACK_ADMIN_USER_IDS: optional.transform((v) =>
    v
      ? v
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean)
      : [],
  ),
  /** Requests per minute per API key; 0 turns the limit off. */
  TALLY_RATE_LIMIT: z.coerce.number().int().min(0).default(6000),
  /** How long an idempotency key is remembered (per realm); at least 24 hours. */
  TALLY_IDEMPOTENCY_TTL_HOURS: z.coerce.number().int().min(24).default(72),
  /** Days finished webhook deliveries (and the events behind them) stay readable and redeliverable. */
  TALLY_WEBHOOK_RETENTION_DAYS: z.coerce.number().int().min(1).default(30),
  /** Whether webhooks may target loopback and private addresses; `false` guards a shared network against SSRF. */
  TALLY_WEBHOOK_ALLOW_PRIVATE: z
    .enum(["true", "false"])
    .default("true")
    .transform((v) => v === "true"),
  /** Most members one role or user-group give may reach. */
  TALLY_BULK_MAX: shared.TALLY_BULK_MAX,
  /** Opt-in: the Discord bot asks for the Server Members intent, which `/points give role:` needs to list a role. */
  DISCORD_MEMBERS_INTENT: shared.DISCORD_MEMBERS_INTENT,
  /** The base of links sent in chat (`/points dashboard`); http://HOST:PORT when unset. */
  TALLY_PUBLIC_URL: url("TALLY_PUBLIC_URL"),
  /** Behind a reverse proxy: trust X-Forwarded-For/-Proto (client address, and Secure cookies over https). */
  TALLY_TRUST_PROXY: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true"),
  LOG_LEVEL: shared.LOG_LEVEL,
});

export type Env = z.infer<typeof envSchema>;

/** Parses the environment, or throws one message that lists every problem. */
export function parseEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const result = envSchema.safeParse(source);
  const problems = result.success ? [] : result.error.issues.map((i) => `${i.path.join(".") || "env"}: ${i.message}`);
  problems.push(...slackProblems(source));
  if (result.success && problems.length === 0) return result.data;
  throw new Error(`Tally cannot start; fix these settings:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
}

/** Settings that only make sense together; checked on the raw values so they are listed with every other problem. */
function slackProblems(source: NodeJS.ProcessEnv): string[] {
  const set = (name: string) => Boolean(source[name]?.trim());
  if (set("SLACK_BOT_TOKEN") && !set("SLACK_SIGNING_SECRET") && !set("SLACK_APP_TOKEN")) {
    return [
      "SLACK_SIGNING_SECRET: SLACK_BOT_TOKEN is set: also set SLACK_SIGNING_SECRET (HTTP) or SLACK_APP_TOKEN (Socket Mode)",
    ];
  }
  if ((set("SLACK_SIGNING_SECRET") || set("SLACK_APP_TOKEN")) && !set("SLACK_BOT_TOKEN")) {
    return ["SLACK_BOT_TOKEN: the Slack bot needs SLACK_BOT_TOKEN"];
  }
  return [];
}
