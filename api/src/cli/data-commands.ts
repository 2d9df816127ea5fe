import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  type BalanceService,
  createWebhook,
  deleteWebhook,
  exportMembers,
  exportTransactions,
  getWebhook,
  importBalances,
  listDeliveries,
  listWebhooks,
  redeliver,
  rotateWebhookSecret,
  sendTestEvent,
  TallyError,
  updateWebhook,
  type WebhookEndpoint,
} from "@tally/core";
import { parseEnv } from "../env.ts";

/** `pnpm tally webhook …`, `export …` and `import …`: dispatched to by cli/main.ts. */
export const DATA_USAGE = `  webhook create --realm <id> --url <url> [--events a,b] [--description <text>]   (secret shown once)
  webhook list --realm <id>
  webhook update --realm <id> --id <webhook id> [--url <url>] [--events a,b] [--description <text>] [--enabled true|false]
  webhook delete --realm <id> --id <webhook id>
  webhook rotate-secret --realm <id> --id <webhook id>
  webhook test --realm <id> --id <webhook id>
  webhook deliveries --realm <id> --id <webhook id> [--cursor <c>]
  webhook redeliver --realm <id> --id <webhook id> --delivery <delivery id>
  export transactions --realm <id> --out <file> [--format csv|jsonl] [--currency <id|name>] [--from <date>] [--to <date>]
  export members --realm <id> --out <file> [--format csv|jsonl]
  import --realm <id> [--format csv|jsonl] [--mapping discord|tally] [--currency <name>] [--apply] <file>
                                                 dry run unless --apply; idempotent per file and line
`;

export const dataOptions = {
  url: { type: "string" },
  events: { type: "string" },
  description: { type: "string" },
  enabled: { type: "string" },
  delivery: { type: "string" },
  cursor: { type: "string" },
  out: { type: "string" },
  format: { type: "string" },
  currency: { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  mapping: { type: "string" },
  apply: { type: "boolean" },
} as const;

type Flags = Record<string, string | boolean | undefined>;
type DataCommand = (core: BalanceService, flags: Flags, positionals: string[]) => Promise<unknown>;

function need(flags: Flags, name: string): string {
  const value = flags[name];
  if (typeof value !== "string" || value.trim() === "") throw new TallyError("VALIDATION", `--${name} is required`);
  return value;
}

const events = (f: Flags) =>
  typeof f.events === "string"
    ? f.events
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;

const allowPrivate = () => parseEnv().TALLY_WEBHOOK_ALLOW_PRIVATE;

function formatOf(f: Flags): "csv" | "jsonl" {
  const format = f.format ?? "csv";
  if (format !== "csv" && format !== "jsonl") throw new TallyError("VALIDATION", "--format must be csv or jsonl");
  return format;
}

function dateOf(f: Flags, name: string): Date | undefined {
  const value = f[name];
  if (typeof value !== "string") return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new TallyError("VALIDATION", `--${name} must be an ISO date or date-time`);
  return date;
}

/** The endpoint without its secret: the CLI shows a secret only when it is created or rotated. */
const shown = ({ secret: _s, previousSecret: _p, ...endpoint }: WebhookEndpoint) => endpoint;

async function writeFile(chunks: AsyncIterable<string>, out: string) {
  let lines = 0;
  const counted = Readable.from(
    (async function* () {
      for await (const chunk of chunks) {
        lines += 1;
        yield chunk;
      }
    })(),
  );
  await pipeline(counted, createWriteStream(out));
  return { written: out, lines };
}

export const dataCommands: Record<string, DataCommand> = {
  "webhook create": async (core, f) => {
    const created = await createWebhook(
      core.db,
      need(f, "realm"),
      { url: need(f, "url"), events: events(f), description: f.description as string | undefined },
      { allowPrivate: allowPrivate() },
    );
    return { ...shown(created), secret: created.secret, note: "secret shown once: store it now" };
  },
  "webhook list": async (core, f) => (await listWebhooks(core.db, need(f, "realm"))).map(shown),
  "webhook get": async (core, f) => shown(await getWebhook(core.db, need(f, "realm"), need(f, "id"))),
  "webhook update": async (core, f) => {
    if (f.enabled !== undefined && f.enabled !== "true" && f.enabled !== "false") {
      throw new TallyError("VALIDATION", "--enabled must be true or false");
    }
    const updated = await updateWebhook(
      core.db,
      need(f, "realm"),
      need(f, "id"),
      {
        url: f.url as string | undefined,
        events: events(f),
        description: f.description as string | undefined,
        enabled: f.enabled === undefined ? undefined : f.enabled === "true",
      },
      { allowPrivate: allowPrivate() },
    );
    return shown(updated);
  },
  "webhook delete": async (core, f) => {
    await deleteWebhook(core.db, need(f, "realm"), need(f, "id"));
    return { deleted: true };
  },
  "webhook rotate-secret": async (core, f) => {
    const rotated = await rotateWebhookSecret(core.db, need(f, "realm"), need(f, "id"));
    return {
      id: rotated.endpoint.id,
      secret: rotated.secret,
      previousSecretExpiresAt: rotated.previousSecretExpiresAt,
    };
  },
  "webhook test": (core, f) => sendTestEvent(core.db, need(f, "realm"), need(f, "id")),
  "webhook deliveries": (core, f) =>
    listDeliveries(core.db, need(f, "realm"), need(f, "id"), { cursor: f.cursor as string | undefined }),
  "webhook redeliver": (core, f) => redeliver(core.db, need(f, "realm"), need(f, "id"), need(f, "delivery")),
  "export transactions": async (core, f) => {
    const realmId = need(f, "realm");
    let currencyId: string | undefined;
    if (typeof f.currency === "string") {
      const found = (await core.currencies(realmId)).find((c) => c.id === f.currency || c.name === f.currency);
      if (!found) throw new TallyError("NOT_FOUND", `--currency: no currency "${f.currency}" in realm ${realmId}`);
      currencyId = found.id;
    }
    const chunks = exportTransactions(core.db, realmId, formatOf(f), {
      currencyId,
      from: dateOf(f, "from"),
      to: dateOf(f, "to"),
    });
    return writeFile(chunks, need(f, "out"));
  },
  "export members": (core, f) => writeFile(exportMembers(core.db, need(f, "realm"), formatOf(f)), need(f, "out")),
  import: async (core, f, positionals) => {
    const file = positionals[1];
    if (!file) throw new TallyError("VALIDATION", "name the file to import: pnpm tally import --realm R FILE");
    const realmId = need(f, "realm");
    const mapping = f.mapping;
    if (mapping !== undefined && mapping !== "discord" && mapping !== "tally") {
      throw new TallyError("VALIDATION", "--mapping must be discord or tally");
    }
    const report = await importBalances(core.db, {
      ctx: { realmId, initiator: { type: "cli", id: process.env.USER ?? "cli" }, via: "cli" },
      text: await readFile(file, "utf8"),
      fileName: file.split("/").at(-1) ?? file,
      format: formatOf(f),
      mapping,
      currencyName: f.currency as string | undefined,
      apply: f.apply === true,
      currencies: await core.currencies(realmId),
    });
    return {
      ...report,
      note: report.alreadyImported
        ? "this file was imported before: nothing written"
        : report.applied
          ? "imported"
          : "dry run: nothing written; add --apply to import",
    };
  },
};
