import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  type AllowanceInput,
  type BalanceService,
  createBalanceService,
  fromJsonText,
  isTallyError,
  TallyError,
  toMajor,
  type WriteContext,
} from "@tally/core";
import { openDatabase, tallyRoot } from "@tally/db";
import { parseEnv } from "../env.ts";
import { DATA_USAGE, dataCommands, dataOptions } from "./data-commands.ts";

/**
 * `pnpm tally <group> <action> [--options] [--json]`: administers realms, keys, currencies, users and bot bindings
 * on the database the server uses (DATABASE_URL, else TALLY_DATA_DIR). On the embedded database the folder belongs to
 * one process: with the server running, the CLI is refused (it says so) and changes nothing.
 */
const HELP: Record<string, [args: string, what: string]> = {
  "realm create": ["--name <name> [--id <id>]", 'create a realm with currency "points"'],
  "realm list": ["", "list the realms"],
  "realm rules": [
    "--realm <id> [--give-cooldown-seconds <n|off>] [--daily-cap-per-target <n|off>] [--min-account-age-minutes <n|off>] [--commands-per-minute <n|off>]",
    "show or change the realm's rules for thanks and reactions (all off by default)",
  ],
  "key create": ["--realm <id> [--name <name>]", "create an API key (shown once: run it again for another)"],
  "key list": ["--realm <id>", "list a realm's keys (never the keys themselves)"],
  "key revoke": ["--realm <id> --id <key id>", "revoke a key"],
  "currency create": [
    "--realm <id> --name <name> [--emoji <e>] [--scale <0-6>] [--allow-negative] [--default]",
    "add a currency",
  ],
  "currency list": ["--realm <id>", "list a realm's currencies"],
  "currency update": [
    "--realm <id> --id <currency id> --allowance <amount>/<day|week|month>|none [--managers-exempt]",
    "set what each member may give away per period (/points thank, reactions), or remove it",
  ],
  "user create": ["--realm <id> [--user-id <id>] [--email <email>] [--name <name>]", "create a member account"],
  "user list": ["--realm <id>", "list members (first 100)"],
  "bind discord": [
    "--guild <guild id> --realm <id> [--manager-role <role id,…>] [--reaction <emoji>=<amount> …]",
    "send a Discord server to a realm; each --reaction makes an emoji (🌮 or a custom emoji's name or id) give points",
  ],
  "bind slack": [
    "--team <team id> --realm <id> [--manager-user <user id,…>] [--reaction <name>=<amount> …]",
    "send a Slack workspace to a realm; each --reaction makes an emoji (taco) give points",
  ],
  "bind list": ["", "list the bindings"],
  "discord register": ["[--guild <guild id>]", "register /points (globally, or in one guild at once)"],
  migrate: ["", "apply pending database migrations, then exit (run it before a rolling upgrade)"],
  verify: ["[--realm <id>]", "audit the ledger; exits 1 when it finds a problem"],
  reverse: [
    "<entry id> [--realm <id>] [--description <text>]",
    "undo a ledger entry once (realm default unless named)",
  ],
};

const USAGE = `Usage: pnpm tally <command> [options] [--json]

${Object.entries(HELP)
  .map(([name, [args, what]]) => `  ${name} ${args}\n      ${what}`)
  .join("\n")}

${DATA_USAGE}
  help [<command>], <command> --help, --version
Settings: DATABASE_URL (PostgreSQL), else the embedded database in TALLY_DATA_DIR.
`;

const usageOf = (name: string): string => {
  const [args, what] = HELP[name] ?? ["", ""];
  return `Usage: pnpm tally ${name} ${args} [--json]\n\n  ${what}\n`;
};

const options = {
  name: { type: "string" },
  id: { type: "string" },
  realm: { type: "string" },
  emoji: { type: "string" },
  scale: { type: "string" },
  "allow-negative": { type: "boolean" },
  default: { type: "boolean" },
  "user-id": { type: "string" },
  email: { type: "string" },
  guild: { type: "string" },
  team: { type: "string" },
  "manager-role": { type: "string" },
  "manager-user": { type: "string" },
  allowance: { type: "string" },
  reaction: { type: "string", multiple: true },
  "give-cooldown-seconds": { type: "string" },
  "daily-cap-per-target": { type: "string" },
  "min-account-age-minutes": { type: "string" },
  "commands-per-minute": { type: "string" },
  "managers-exempt": { type: "boolean" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
  ...dataOptions,
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>["values"];

class UsageError extends Error {}

function need(flags: Flags, name: keyof Flags): string {
  const value = flags[name];
  if (typeof value !== "string" || value.trim() === "") throw new UsageError(`--${String(name)} is required`);
  return value;
}

const list = (value: string | undefined) =>
  value
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);

const cli = (realmId: string): WriteContext => ({
  realmId,
  initiator: { type: "cli", id: process.env.USER ?? "cli" },
  via: "cli",
});

/** `10/week` (whole or decimal units per period) or `none`. */
function parseAllowance(text: string, managersExempt: boolean | undefined): AllowanceInput | null {
  if (text.trim().toLowerCase() === "none") return null;
  const match = /^\s*(\d+(?:\.\d+)?)\s*\/\s*(day|week|month)\s*$/i.exec(text);
  if (!match) throw new UsageError(`--allowance is <amount>/<day|week|month> (e.g. 10/week) or none, not "${text}"`);
  const period = (match[2] as string).toLowerCase() as AllowanceInput["period"];
  return { amount: fromJsonText(match[1] as string), period, managersExempt: managersExempt ?? false };
}

/** A rule's flag: a whole number, `off` (null), or absent (unchanged). */
function ruleValue(flags: Flags, name: keyof Flags): number | null | undefined {
  const value = flags[name];
  if (typeof value !== "string") return undefined;
  if (value.trim().toLowerCase() === "off") return null;
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`--${String(name)} is a whole number or off, not "${value}"`);
  return Number(value);
}

/** `--reaction taco=1` (repeatable); without any, the binding keeps the reactions it has. */
async function reactionsOf(
  core: BalanceService,
  platform: "discord" | "slack",
  externalId: string,
  flags: string[] | undefined,
): Promise<{ emoji: string; amount: number }[]> {
  if (!flags || flags.length === 0) return (await core.bindingFor(platform, externalId)).settings.reactions ?? [];
  return flags.map((text) => {
    const at = text.lastIndexOf("=");
    const amount = Number(text.slice(at + 1));
    if (at <= 0 || !/^\d+(\.\d+)?$/.test(text.slice(at + 1)) || amount <= 0) {
      throw new UsageError(`--reaction is <emoji>=<amount>, e.g. taco=1 or 🌮=1, not "${text}"`);
    }
    return { emoji: text.slice(0, at), amount };
  });
}

type Command = (core: BalanceService, flags: Flags, positionals: string[]) => Promise<unknown>;

const commands: Record<string, Command> = {
  "realm create": (core, f) => core.createRealm({ name: need(f, "name"), id: f.id }),
  "realm list": (core) => core.listRealms(),
  "realm rules": (core, f) => {
    const patch = {
      giveCooldownSeconds: ruleValue(f, "give-cooldown-seconds"),
      dailyCapPerTarget: ruleValue(f, "daily-cap-per-target"),
      minAccountAgeMinutes: ruleValue(f, "min-account-age-minutes"),
      commandsPerMinute: ruleValue(f, "commands-per-minute"),
    };
    const realm = need(f, "realm");
    return Object.values(patch).every((v) => v === undefined)
      ? core.givingRules(realm)
      : core.setGivingRules(realm, patch);
  },
  "key create": async (core, f) => {
    const { key, apiKey } = await core.createApiKey(need(f, "realm"), { name: f.name ?? "cli" });
    return { key, id: apiKey.id, realmId: apiKey.realmId, name: apiKey.name, note: "shown once: store it now" };
  },
  "key list": async (core, f) => (await core.listApiKeys(need(f, "realm"))).map(({ keyHash: _hash, ...key }) => key),
  "key revoke": async (core, f) => ({ revoked: await core.revokeApiKey(need(f, "realm"), need(f, "id")) }),
  "currency create": (core, f) =>
    core.createCurrency(need(f, "realm"), {
      name: need(f, "name"),
      emoji: f.emoji,
      scale: f.scale === undefined ? undefined : Number(f.scale),
      allowNegative: f["allow-negative"],
      isDefault: f.default,
    }),
  "currency list": (core, f) => core.currencies(need(f, "realm")),
  "currency update": (core, f) =>
    core.setAllowance(need(f, "realm"), need(f, "id"), parseAllowance(need(f, "allowance"), f["managers-exempt"])),
  "user create": (core, f) =>
    core.createUser(cli(need(f, "realm")), { userId: f["user-id"], email: f.email, name: f.name }),
  "user list": async (core, f) => (await core.listUsers(need(f, "realm"), { limit: 100 })).items,
  "bind discord": async (core, f) =>
    core.bindBot({
      platform: "discord",
      externalId: need(f, "guild"),
      realmId: need(f, "realm"),
      settings: {
        managerRoleIds: list(f["manager-role"]) ?? [],
        reactions: await reactionsOf(core, "discord", need(f, "guild"), f.reaction),
      },
    }),
  "bind slack": async (core, f) =>
    core.bindBot({
      platform: "slack",
      externalId: need(f, "team"),
      realmId: need(f, "realm"),
      settings: {
        managerUserIds: list(f["manager-user"]) ?? [],
        reactions: await reactionsOf(core, "slack", need(f, "team"), f.reaction),
      },
    }),
  "bind list": (core) => core.listBindings(),
  verify: (core, f) => core.audit(f.realm),
  ...dataCommands,
  reverse: async (core, f, [, entryId]) => {
    if (!entryId) throw new UsageError("reverse needs the entry id");
    const { entry, balance, currency } = await core.reverse(cli(f.realm ?? "default"), entryId, {
      description: f.description,
    });
    return { entry, balance: toMajor(balance, currency.scale) };
  },
};

async function main(): Promise<number> {
  const { values: flags, positionals } = parseArgs({ options, allowPositionals: true, strict: true });
  if (flags.version) {
    console.log(version());
    return 0;
  }
  const asksHelp = positionals[0] === "help";
  // `reverse <entry id>`: one word, then its argument; every other command is one or two words.
  const name =
    positionals[asksHelp ? 1 : 0] === "reverse"
      ? "reverse"
      : positionals.slice(asksHelp ? 1 : 0, asksHelp ? 3 : 2).join(" ");
  if (flags.help || asksHelp || positionals.length === 0) {
    console.log(HELP[name] ? usageOf(name) : USAGE);
    return 0;
  }
  const env = parseEnv();
  if (name === "discord register") {
    if (!env.DISCORD_TOKEN || !env.DISCORD_APPLICATION_ID) {
      throw new UsageError("set DISCORD_TOKEN and DISCORD_APPLICATION_ID to register commands");
    }
    // discord.js is loaded only for the one command that needs it
    const { registerCommands } = await import("@tally/discord-bot");
    const result = await registerCommands({
      token: env.DISCORD_TOKEN,
      applicationId: env.DISCORD_APPLICATION_ID,
      apiUrl: env.DISCORD_API_URL,
      guildId: flags.guild,
    });
    print({ registered: result ?? true, scope: flags.guild ? `guild ${flags.guild}` : "global" }, flags.json);
    return 0;
  }
  const command = commands[name] ?? commands[positionals[0] ?? ""];
  if (!command && name !== "migrate") throw new UsageError(`unknown command "${positionals.join(" ")}"`);
  const database = await openDatabase({
    url: env.DATABASE_URL,
    dataDir: env.TALLY_DATA_DIR,
    maxConnections: 1,
    prepare: env.DATABASE_PREPARE,
    migrate: name !== "migrate",
    connectRetryMs: env.DATABASE_CONNECT_RETRY_SECONDS * 1000,
    onConnectRetry: ({ attempt, delayMs, reason }) =>
      console.error(
        `tally: DATABASE_URL not reachable yet (attempt ${attempt}: ${reason}); retrying in ${delayMs / 1000} s`,
      ),
  });
  try {
    if (!command) {
      print(await database.migrate(), flags.json);
      return 0;
    }
    const core = createBalanceService(database.db);
    const boot = await core.ensureBootstrap({ apiKey: env.TALLY_API_KEY });
    if (boot.createdKey) console.error(`First start: API key for realm default (shown once): ${boot.createdKey}`);
    // Every --realm is checked first, so a mistyped id is named as such rather than failing deep in a query.
    if (flags.realm !== undefined && !(await core.getRealm(flags.realm))) {
      throw new TallyError("NOT_FOUND", `No realm "${flags.realm}": it does not exist (pnpm tally realm list).`);
    }
    const result = await command(core, flags, positionals);
    print(result, flags.json);
    // A failed audit exits non-zero, so cron jobs and CI can alarm on it.
    return name === "verify" && !(result as { ok: boolean }).ok ? 1 : 0;
  } finally {
    await database.close();
  }
}

/** Tally's version, from the root package.json (beside the repository, or the bundle's app folder). */
function version(): string {
  const manifest = JSON.parse(readFileSync(join(tallyRoot(), "package.json"), "utf8")) as { version?: string };
  return `tally ${manifest.version ?? "unknown"}`;
}

/**
 * What a failure says: a usage mistake with the usage, a domain refusal with its code, anything else by its cause's
 * own words. A query that failed is never echoed: its text and parameters can hold key hashes.
 */
function describe(error: unknown): string {
  if (isTallyError(error)) return `${error.code}: ${error.message}`;
  if (!(error instanceof Error)) return String(error);
  if (error.name === "DrizzleQueryError" || /^Failed query:/.test(error.message)) {
    const cause = error.cause instanceof Error ? error.cause.message : "unknown cause";
    return `the database refused the change (${cause})`;
  }
  return error.message;
}

function print(value: unknown, json: boolean | undefined): void {
  const text = JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v), json ? undefined : 2);
  console.log(text);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || (error instanceof TypeError && "code" in error)) {
      console.error(`tally: ${error.message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error(`tally: ${describe(error)}`);
    process.exit(1);
  },
);
