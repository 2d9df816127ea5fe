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
  DATABASE_URL: optional.refine((v) => v === undefined || /^postgres(ql)?:\/\//.test(v), {
    message: "DATABASE_URL must start with postgres:// or postgresql://",
  }),
  TALLY_DATA_DIR: z.string().trim().min(1).default("./.tally"),
  TALLY_API_KEY: optional,
});

export type DiscordEnv = z.infer<typeof discordEnvSchema>;

/** Parses the environment once, or throws one message listing every problem. */
export function parseDiscordEnv(source: NodeJS.ProcessEnv = process.env): DiscordEnv {
  const result = discordEnvSchema.safeParse(source);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `  - ${i.path.join(".") || "env"}: ${i.message}`);
  throw new Error(`The Discord bot cannot start; fix these settings:\n${problems.join("\n")}`);
}
