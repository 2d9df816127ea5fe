import type { PointsCommand, Target } from "./contract.ts";

/**
 * The `/points` TEXT grammar, for platforms whose commands arrive as one string (Slack). Discord builds the same
 * PointsCommand from typed options instead. Mentions are expected escaped, as Slack sends them when the command has
 * `should_escape: true`: `<@U123>` or `<@U123|name>`.
 */

export const USAGE: Record<Exclude<PointsCommand["name"], "help">, string> = {
  give: "/points give @user <amount> [reason]",
  take: "/points take @user <amount> [reason]",
  tip: "/points tip @user <amount> [reason]",
  balance: "/points balance [@user]",
  leaderboard: "/points leaderboard [day|week|month|all]",
  history: "/points history [@user]",
  undo: "/points undo [entry-id]",
  thank: "/points thank @user [amount=1] [reason]",
  allowance: "/points allowance",
  link: "/points link [code]",
  whoami: "/points whoami",
  dashboard: "/points dashboard",
};

const SUBCOMMANDS = [
  "give",
  "take",
  "tip",
  "thank",
  "allowance",
  "balance",
  "leaderboard",
  "history",
  "undo",
  "link",
  "whoami",
  "dashboard",
  "help",
] as const;
const TARGET_FORMS = "a mention like @ada, or slack:<user id>, discord:<id>, email:<address>, user:<user_id>";
const MAX_REASON = 200;
const MAX_USER_ID = 256;
const CURRENCY_ID = /^[\w.-]{1,64}$/;

type Parsed = PointsCommand | { error: string };

// Escaped entities (`<@U1|ada>`, `<mailto:a@b.c|a@b.c>`) may contain spaces, so they are single tokens.
const TOKEN = /(?:<[^<>]*>|[^\s<])+|</g;

function tokenize(text: string): string[] {
  return [...text.matchAll(TOKEN)].map((m) => m[0]);
}

/** Slack escapes `&`, `<` and `>` in free text; reasons are stored as the person typed them. */
function unescapeEntities(text: string): string {
  return text.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");
}

export function parsePointsText(text: string): Parsed {
  const tokens = tokenize(text);
  const options = extractCurrency(tokens);
  if ("error" in options) return options;
  const { rest, currencyId } = options;
  const [head, ...args] = rest;
  if (!head) return currencyId ? { error: "Say what to do before --currency, e.g. `/points balance`." } : help();
  const name = head.toLowerCase();
  if (!isSubcommand(name)) {
    return {
      error: `Unknown subcommand "${truncate(head)}". Use one of: ${SUBCOMMANDS.join(", ")} (try \`/points help\`).`,
    };
  }
  const withCurrency = currencyId ? { currencyId } : {};
  switch (name) {
    case "help":
      return help();
    case "give":
    case "take":
    case "tip": {
      const usage = `Usage: \`${USAGE[name]}\`.`;
      const [targetToken, amountToken, ...reasonTokens] = args;
      if (!targetToken) return { error: `Say who: ${usage}` };
      const target = parseTarget(targetToken);
      if ("error" in target) return { error: `${target.error} ${usage}` };
      if (!amountToken) return { error: `Say how many points: ${usage}` };
      const amount = parseWholeAmount(amountToken);
      if (typeof amount !== "number") return { error: `${amount.error} ${usage}` };
      const reason = unescapeEntities(reasonTokens.join(" ")).trim();
      if (reason.length > MAX_REASON) {
        return { error: `The reason is ${reason.length} characters long; keep it to ${MAX_REASON}.` };
      }
      return { name, target, amount, ...(reason ? { reason } : {}), ...withCurrency };
    }
    case "thank": {
      // The amount is optional (1): a leading whole number is the amount, anything else starts the reason.
      const usage = `Usage: \`${USAGE.thank}\`.`;
      const [targetToken, ...more] = args;
      if (!targetToken) return { error: `Say whom to thank: ${usage}` };
      const target = parseTarget(targetToken);
      if ("error" in target) return { error: `${target.error} ${usage}` };
      let amount = 1;
      if (more[0] !== undefined && /^[+-]?\d+([.,]\d+)?$/.test(more[0])) {
        const parsed = parseWholeAmount(more.shift() as string);
        if (typeof parsed !== "number") return { error: `${parsed.error} ${usage}` };
        amount = parsed;
      }
      const reason = unescapeEntities(more.join(" ")).trim();
      if (reason.length > MAX_REASON) {
        return { error: `The reason is ${reason.length} characters long; keep it to ${MAX_REASON}.` };
      }
      return { name, target, amount, ...(reason ? { reason } : {}), ...withCurrency };
    }
    case "allowance":
      if (args.length > 0) return { error: `\`${USAGE.allowance}\` takes no person or amount (only --currency).` };
      return { name, ...withCurrency };
    case "balance":
    case "history": {
      if (args.length > 1) return { error: `Too many words: \`${USAGE[name]}\` takes at most one person.` };
      const [targetToken] = args;
      if (!targetToken) return { name, ...withCurrency };
      const target = parseTarget(targetToken);
      if ("error" in target) return { error: `${target.error} Usage: \`${USAGE[name]}\`.` };
      return { name, target, ...withCurrency };
    }
    case "leaderboard": {
      if (args.length > 1) {
        return { error: `Too many words: \`${USAGE.leaderboard}\` takes at most a period (and --currency).` };
      }
      const [periodToken] = args;
      if (!periodToken) return { name, ...withCurrency };
      const period = periodToken.toLowerCase();
      if (!isPeriod(period)) {
        return {
          error: `"${truncate(periodToken)}" is not a period: use day, week, month or all (\`/points leaderboard\` takes no person or amount).`,
        };
      }
      return { name, period, ...withCurrency };
    }
    case "dashboard":
      if (args.length > 0 || currencyId) return { error: `\`${USAGE.dashboard}\` takes nothing after it.` };
      return { name };
    case "undo": {
      if (currencyId) return { error: "`/points undo` takes no --currency: an entry has its own." };
      if (args.length > 1) return { error: `Too many words: \`${USAGE.undo}\` takes at most one entry id.` };
      const [idToken] = args;
      if (!idToken) return { name };
      const entryId = parseEntryId(idToken);
      return typeof entryId === "string" ? { name, entryId } : entryId;
    }
    case "link": {
      if (currencyId) return { error: "`/points link` takes no --currency: linking joins every balance." };
      if (args.length > 1) return { error: `Too many words: \`${USAGE.link}\` takes at most one code.` };
      const [code] = args;
      return code ? { name, code } : { name };
    }
    case "whoami":
      if (args.length > 0 || currencyId) return { error: "`/points whoami` takes nothing after it." };
      return { name };
  }
}

/** An entry id as `/points history` shows it (`#42`), or bare. */
export function parseEntryId(text: string): string | { error: string } {
  const id = text.trim().replace(/^#/, "");
  if (!/^\d{1,18}$/.test(id)) {
    return { error: `"${truncate(text)}" is not an entry id: use the number \`/points history\` shows, e.g. 42.` };
  }
  return id.replace(/^0+(?=\d)/, "");
}

const PERIODS = ["day", "week", "month", "all"] as const;
const isPeriod = (text: string): text is (typeof PERIODS)[number] => (PERIODS as readonly string[]).includes(text);

function help(): PointsCommand {
  return { name: "help" };
}

function isSubcommand(name: string): name is (typeof SUBCOMMANDS)[number] {
  return (SUBCOMMANDS as readonly string[]).includes(name);
}

/** `--currency gems` or `--currency=gems`, anywhere after the subcommand. */
function extractCurrency(tokens: string[]): { rest: string[]; currencyId?: string } | { error: string } {
  const rest: string[] = [];
  let currencyId: string | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    const lower = token.toLowerCase();
    let value: string | undefined;
    if (lower === "--currency") {
      value = tokens[i + 1];
      i++;
      if (value === undefined) return { error: "`--currency` needs a currency id after it, e.g. `--currency gems`." };
    } else if (lower.startsWith("--currency=")) {
      value = token.slice("--currency=".length);
    } else {
      rest.push(token);
      continue;
    }
    if (!CURRENCY_ID.test(value)) {
      return { error: `"${truncate(value)}" is not a currency id: use letters, digits, "-", "_" or "." (at most 64).` };
    }
    if (currencyId !== undefined && currencyId !== value) {
      return { error: "Give `--currency` once." };
    }
    currencyId = value;
  }
  return currencyId === undefined ? { rest } : { rest, currencyId };
}

const SLACK_MENTION = /^<@([UW][A-Z0-9]{1,30})(?:\|[^<>]*)?>$/;
const SLACK_USER_ID = /^[UW][A-Z0-9]{1,30}$/;
// A user group as Slack escapes it: `<!subteam^S0123|@mods>`.
const SUBTEAM = /^<!subteam\^([A-Z0-9]{1,30})(?:\|([^<>]*))?>$/;
const SNOWFLAKE = /^\d{17,20}$/;
// Slack turns typed addresses into `<mailto:ada@example.com|ada@example.com>` when escaping is on.
const MAILTO = /^<mailto:([^|<>]+)(?:\|[^<>]*)?>$/;
const EMAIL = /^[^\s@<>|]+@[^\s@<>|]+\.[^\s@<>|]+$/;

/** One target token: an escaped Slack mention, or `slack:`, `discord:`, `email:`, `user:` typed explicitly. */
export function parseTarget(text: string): Target | { error: string } {
  const mention = SLACK_MENTION.exec(text);
  if (mention?.[1]) return { kind: "member", platform: "slack", id: mention[1] };
  if (text.startsWith("<#")) return { error: "That is a channel; points go to a person. Mention them with @." };
  const group = SUBTEAM.exec(text);
  if (group?.[1]) return { kind: "group", platform: "slack", id: group[1], ...(group[2] ? { name: group[2] } : {}) };
  if (text.startsWith("<!")) {
    return { error: "Points go to a person or a user group, not @here, @channel or @everyone." };
  }
  if (text.startsWith("@")) {
    return {
      error: `"${truncate(text)}" is plain text, not a mention: pick the person from Slack's @ menu (the app needs should_escape: true), or use discord:, email: or user:.`,
    };
  }
  const colon = text.indexOf(":");
  const prefix = colon > 0 ? text.slice(0, colon).toLowerCase() : "";
  const value = colon > 0 ? text.slice(colon + 1) : "";
  switch (prefix) {
    case "slack":
      if (!SLACK_USER_ID.test(value)) {
        return { error: `"${truncate(value)}" is not a Slack user id: slack:<id> takes an id like U012AB3CD.` };
      }
      return { kind: "member", platform: "slack", id: value };
    case "discord":
      if (!SNOWFLAKE.test(value)) {
        return { error: `"${truncate(value)}" is not a Discord user id: discord:<id> takes 17 to 20 digits.` };
      }
      return { kind: "discord", id: value };
    case "email": {
      const address = MAILTO.exec(value)?.[1] ?? value;
      if (!EMAIL.test(address)) return { error: `"${truncate(address)}" is not an email address.` };
      return { kind: "email", address: address.toLowerCase() };
    }
    case "user": {
      const userId = unescapeEntities(value);
      if (userId.length === 0) return { error: "user: needs a user id after it, e.g. user:u_42." };
      if (userId.length > MAX_USER_ID || /[\s<>]/.test(userId)) {
        return {
          error: `"${truncate(userId)}" is not a user id: no spaces or angle brackets, at most 256 characters.`,
        };
      }
      return { kind: "user", userId };
    }
  }
  return { error: `"${truncate(text)}" is not someone I can credit: use ${TARGET_FORMS}.` };
}

/** Positive whole numbers only: chat users type points, not minor units or fractions. */
function parseWholeAmount(text: string): number | { error: string } {
  if (!/^\+?\d+$/.test(text)) {
    if (/^-\d/.test(text))
      return { error: `The amount must be positive, not "${truncate(text)}": give adds, take removes.` };
    if (/^\+?\d*[.,]\d+$/.test(text)) return { error: `The amount must be a whole number, not "${truncate(text)}".` };
    return { error: `"${truncate(text)}" is not an amount: use a whole number like 10.` };
  }
  const amount = Number(text);
  if (amount === 0) return { error: "The amount must be at least 1." };
  if (!Number.isSafeInteger(amount)) return { error: `${truncate(text)} is too large an amount.` };
  return amount;
}

function truncate(text: string, max = 40): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
