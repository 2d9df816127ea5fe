import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { MANAGE_GUILD, type MemberFixture, pointsInteraction } from "../discord/interactions.ts";
import { type LocalDiscord, startLocalDiscord } from "../discord/local-discord.ts";
import { applicationKeys, signatureHeaders } from "../discord/sign-interaction.ts";
import { startThrowawayPostgres } from "../setup/throwaway-postgres.ts";
import { people, SIGNING_SECRET } from "../slack/fixtures.ts";
import { type LocalSlack, type SlackUserFixture, startLocalSlack } from "../slack/local-slack.ts";
import { postSlashCommand } from "../slack/slash-command.ts";
import { startApiProcess } from "../tally-process.ts";

/**
 * `pnpm bench:bots`: how soon a chat command is acknowledged. Tally runs as `pnpm start` runs it (one process: the
 * API with both bots) on PostgreSQL with durable settings (`--pglite`: the embedded default instead); this process
 * plays Slack and Discord and times `/points give` by a manager from the moment it is sent to:
 * - Slack over HTTP: the HTTP answer to the slash command (the ack Slack waits 3 s for), and the reply posted to
 *   the response_url (the work itself);
 * - Discord over HTTP interactions: the HTTP answer, which carries the reply (Tally answers within the window);
 * - Discord over the gateway: the interaction callback reaching Discord's REST API.
 * Each one at a time and 16 at once; the target is p99 < 50 ms.
 */
const COMMANDS = Number(process.env.BENCH_BOT_COMMANDS ?? 500);
const WARMUP = 50;
const CONCURRENCY = [1, 16];
const TARGETS = 100;
const API_KEY = "tly_bench_bots_0123456789";
const pglite = process.argv.includes("--pglite");

interface Sample {
  ack: number;
  reply?: number;
}

type Send = (i: number) => Promise<Sample>;

async function main(): Promise<void> {
  const cluster =
    pglite || process.env.DATABASE_URL
      ? undefined
      : await startThrowawayPostgres({ fsync: "on", synchronous_commit: "on", full_page_writes: "on" });
  const dataDir = mkdtempSync(join(tmpdir(), "tally-bench-bots-"));
  const slackUsers: SlackUserFixture[] = Array.from({ length: TARGETS }, (_, i) => ({
    id: `U0BENCH${i}`,
    name: `member${i}`,
  }));
  const slack = await startLocalSlack([...Object.values(people), ...slackUsers]);
  const discord = await startLocalDiscord();
  const keys = applicationKeys();
  // BENCH_PROFILE=<folder> writes a V8 CPU profile of the Tally process there.
  const profile = process.env.BENCH_PROFILE ? ["--cpu-prof", "--cpu-prof-dir", process.env.BENCH_PROFILE] : [];
  const api = await startApiProcess(
    {
      ...(pglite ? {} : { DATABASE_URL: process.env.DATABASE_URL ?? cluster?.url }),
      TALLY_DATA_DIR: dataDir,
      TALLY_API_KEY: API_KEY,
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      DISCORD_TOKEN: discord.token,
      DISCORD_PUBLIC_KEY: keys.publicKeyHex,
      DISCORD_API_URL: discord.apiUrl,
    },
    { nodeArgs: profile },
  );
  try {
    if (discord.gateway.connections() !== 1) throw new Error(`the gateway is not connected:\n${api.output()}`);
    const scenarios: [string, Send][] = [
      ["Slack HTTP", slackSender(api.url, slack, slackUsers)],
      ["Discord HTTP interactions", discordHttpSender(api.url, keys.privateKey)],
      ["Discord gateway", discordGatewaySender(discord)],
    ];
    console.log(
      `# Bot acknowledgement latency (${pglite ? "PGlite" : "PostgreSQL, fsync and synchronous_commit on"}), ` +
        `${COMMANDS} × /points give per row, ${cpus().length} CPUs (${cpus()[0]?.model ?? "unknown"})\n`,
    );
    console.log(`Load average at the start: ${loadAverage()}\n`);
    console.log(
      "| transport | in flight | ack p50 | ack p99 | ack max | reply p50 | reply p99 | Tally CPU per command | errors |",
    );
    console.log("|---|---|---|---|---|---|---|---|---|");
    const pid = api.child.pid ?? 0;
    for (const [name, send] of scenarios) {
      await drive(send, 1, WARMUP);
      for (const concurrency of CONCURRENCY) {
        const cpuBefore = cpuMs(pid);
        const { samples, errors } = await drive(send, concurrency, COMMANDS);
        const cpu = (cpuMs(pid) - cpuBefore) / COMMANDS;
        const ack = samples.map((s) => s.ack);
        const reply = samples.flatMap((s) => (s.reply === undefined ? [] : [s.reply]));
        console.log(
          `| ${name} | ${concurrency} | ${ms(percentile(ack, 50))} | ${ms(percentile(ack, 99))} | ${ms(Math.max(...ack))} | ` +
            `${reply.length ? ms(percentile(reply, 50)) : "in the ack"} | ${reply.length ? ms(percentile(reply, 99)) : "in the ack"} | ${ms(cpu)} | ${errors} |`,
        );
      }
    }
    console.log(`\nLoad average at the end: ${loadAverage()}`);
    const calls = new Map<string, number>();
    for (const call of slack.calls) calls.set(call.method, (calls.get(call.method) ?? 0) + 1);
    console.log(`\nSlack Web API calls during the run: ${[...calls].map(([m, n]) => `${m} ${n}`).join(", ")}`);
  } finally {
    await api.stop();
    await slack.close();
    await discord.close();
    cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Sends `count` commands keeping `concurrency` in flight; a failed command is counted, not timed. */
async function drive(send: Send, concurrency: number, count: number) {
  const samples: Sample[] = [];
  let errors = 0;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      try {
        samples.push(await send(i));
      } catch (error) {
        errors++;
        if (errors <= 3) console.error(error instanceof Error ? error.message : error);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { samples, errors };
}

function slackSender(url: string, slack: LocalSlack, targets: SlackUserFixture[]): Send {
  const pending = new Map<string, (body: Record<string, unknown>) => void>();
  slack.onResponse((key, body) => pending.get(key)?.(body));
  return async (i) => {
    const key = randomUUID();
    const replied = new Promise<Record<string, unknown>>((resolve) => pending.set(key, resolve));
    const started = performance.now();
    const ack = await postSlashCommand(url, SIGNING_SECRET, {
      text: `give <@${targets[i % targets.length]?.id}> 1 bench`,
      user_id: people.admin.id,
      response_url: slack.responseUrl(key),
    });
    const acked = performance.now() - started;
    if (ack.status !== 200) throw new Error(`Slack ack ${ack.status}: ${ack.text}`);
    const body = await withTimeout(replied, `the Slack reply ${key}`);
    const reply = performance.now() - started;
    pending.delete(key);
    if (body.response_type !== "in_channel") throw new Error(`Slack reply was not public: ${JSON.stringify(body)}`);
    return { ack: acked, reply };
  };
}

const mod: MemberFixture = { id: "970000000000000001", username: "mod", permissions: MANAGE_GUILD };
const member = (i: number): MemberFixture => ({ id: String(970000000000001000n + BigInt(i)), username: `m${i}` });

function discordHttpSender(url: string, privateKey: ReturnType<typeof applicationKeys>["privateKey"]): Send {
  return async (i) => {
    const body = JSON.stringify(pointsInteraction(mod, "give", { user: member(i % TARGETS), amount: 1 }));
    const started = performance.now();
    const response = await fetch(`${url}/discord/interactions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...signatureHeaders(privateKey, body) },
      body,
    });
    const answer = (await response.json()) as { type?: number; data?: { embeds?: { title?: string }[] } };
    const acked = performance.now() - started;
    if (response.status !== 200 || answer.data?.embeds?.[0]?.title !== "Points given") {
      throw new Error(`Discord HTTP answer ${response.status}: ${JSON.stringify(answer)}`);
    }
    return { ack: acked };
  };
}

function discordGatewaySender(discord: LocalDiscord): Send {
  const pending = new Map<string, (body: { data?: { embeds?: { title?: string }[] } }) => void>();
  discord.onRequest((r) => {
    const id = /^\/api\/v10\/interactions\/(\d+)\/[^/]+\/callback$/.exec(r.path)?.[1];
    if (id) pending.get(id)?.(r.body);
  });
  return async (i) => {
    const interaction = pointsInteraction(mod, "give", { user: member(i % TARGETS), amount: 1 });
    const id = String(interaction.id);
    const called = new Promise<{ data?: { embeds?: { title?: string }[] } }>((resolve) => pending.set(id, resolve));
    const started = performance.now();
    discord.gateway.dispatchInteraction(interaction);
    const body = await withTimeout(called, `the callback of interaction ${id}`);
    const acked = performance.now() - started;
    pending.delete(id);
    if (body.data?.embeds?.[0]?.title !== "Points given") throw new Error(`gateway reply: ${JSON.stringify(body)}`);
    return { ack: acked };
  };
}

function withTimeout<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** User + system CPU time the process has used, from /proc (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  // Fields after the parenthesised command name; utime and stime are the 14th and 15th of the whole line.
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function loadAverage(): string {
  return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
}

/** Nearest-rank percentile. */
function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
