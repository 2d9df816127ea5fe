import { z } from "zod";

const optional = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .optional();

/** The standalone gateway bot's settings: the same names `pnpm start` reads, only those this process needs. */
export const discordEnvSchema = z.object({
  DISCORD_TOKEN: z.string().trim().min(1, "DISCORD_TOKEN is required: the bot token from the Developer Portal"),
  DISCORD_API_URL: optional.refine((v) => v === undefined || URL.canParse(v), {
    message: "DISCORD_API_URL must be a URL",
  }),
  // The embedded database belongs to one process (the API's): a bot of its own needs a database it can share.
  DATABASE_URL: z
    .string({
      error:
        "DATABASE_URL is required: the standalone bot shares a PostgreSQL database with the API (on the embedded database, let `pnpm start` run the bot with DISCORD_TOKEN instead)",
    })
    .trim()
    .regex(/^postgres(ql)?:\/\//, "DATABASE_URL must start with postgres:// or postgresql://"),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(1000).default(10),
  DATABASE_PREPARE: z
    .enum(["true", "false"], { message: "must be true or false" })
    .default("true")
    .transform((v) => v === "true"),
  DATABASE_CONNECT_RETRY_SECONDS: z.coerce.number().int().min(0).max(3600).default(30),
  TALLY_API_KEY: optional,
  TALLY_BULK_MAX: z.coerce.number().int().min(1).max(100_000).default(1000),
  DISCORD_MEMBERS_INTENT: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export type DiscordEnv = z.infer<typeof discordEnvSchema>;

/** Parses the environment once, or throws one message listing every problem. */
export function parseDiscordEnv(source: NodeJS.ProcessEnv = process.env): DiscordEnv {
  const result = discordEnvSchema.safeParse(source);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `  - ${i.path.join(".") || "env"}: ${i.message}`);
  throw new Error(`The Discord bot cannot start; fix these settings:\n${problems.join("\n")}`);
}
