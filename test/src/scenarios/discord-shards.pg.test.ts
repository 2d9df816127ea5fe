import { openTestDatabase, type TestDatabase } from "@tally/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pointsInteraction } from "../discord/interactions.ts";
import { type LocalDiscord, startLocalDiscord } from "../discord/local-discord.ts";
import { startTallyProcess, type TallyProcess } from "../tally-process.ts";

// Three gateway-capable processes on one PostgreSQL and a local Discord that recommends 2 shards, started once.
let t: TestDatabase;
let discord: LocalDiscord;
let bots: TallyProcess[] = [];
const ada = { id: "930000000000000001", username: "ada" };

/** A guild id that Discord routes to `shard` of 2 (`(id >> 22) % 2`). */
const EVEN = (940_000_000_000_000_000n >> 23n) << 1n;
const guildId = (shard: number) => String(((EVEN + BigInt(shard)) << 22n) | 1n);

async function waitUntil(check: () => boolean, what: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - started;
}

const identified = (shard: number) => discord.identifies.filter((d) => (d.shard as number[])[0] === shard).length;

async function answeredOnce(shard: number): Promise<void> {
  const interaction = pointsInteraction(ada, "balance", {}, { guildId: guildId(shard) });
  discord.gateway.dispatchInteraction(interaction);
  const id = String(interaction.id);
  await discord.waitFor((r) => r.path.startsWith(`/api/v10/interactions/${id}/`), 1, 15_000);
  // A second holder would answer about as fast as the first: give it time to show up.
  await new Promise((r) => setTimeout(r, 1_000));
  expect(discord.callbacks(id)).toHaveLength(1);
}

beforeAll(async () => {
  t = await openTestDatabase({ maxConnections: 2 });
  discord = await startLocalDiscord({ shards: 2 });
  const env = {
    DATABASE_URL: t.url,
    DATABASE_POOL_MAX: "3",
    DISCORD_TOKEN: discord.token,
    DISCORD_API_URL: discord.apiUrl,
    DISCORD_SHARD_COUNT: "auto",
  };
  bots = await Promise.all(
    [0, 1, 2].map(() => startTallyProcess("bots/discord/src/main.ts", env, /is online/, 180_000)),
  );
}, 240_000);
afterAll(async () => {
  await Promise.all(bots.map((bot) => bot.stop()));
  await discord.close();
  await t.close();
});

describe("Discord gateway shards held through PostgreSQL advisory locks", () => {
  it("each of the 2 shards (auto) is identified once, by one of the three processes", async () => {
    await waitUntil(() => discord.gateway.shards().join() === "0,1", "both shards connected", 15_000);
    // Longer than a process's look for free shards (5 s): nobody else connects a shard that is held.
    await new Promise((r) => setTimeout(r, 6_000));
    expect(discord.gateway.shards()).toEqual([0, 1]);
    expect([identified(0), identified(1)]).toEqual([1, 1]);
    expect(discord.identifies.every((d) => (d.shard as number[])[1] === 2)).toBe(true);
  });

  it("an interaction is answered once, on either shard", async () => {
    expect(Number((BigInt(guildId(0)) >> 22n) % 2n)).toBe(0);
    expect(Number((BigInt(guildId(1)) >> 22n) % 2n)).toBe(1);
    await answeredOnce(0);
    await answeredOnce(1);
  });

  it("killing a shard's holder moves the shard to another process within 15 s", async () => {
    const holder = bots.find((bot) => bot.output().includes("Discord shard 0 of 2 connected"));
    if (!holder) throw new Error(`no process says it holds shard 0:\n${bots.map((b) => b.output()).join("\n---\n")}`);
    const moving = [0, 1].filter((shard) => holder.output().includes(`Discord shard ${shard} of 2 connected`));
    const before = moving.map(identified);
    holder.child.kill("SIGKILL");
    await waitUntil(() => !discord.gateway.shards().includes(0), "the dead holder's connection closing", 10_000);
    const tookMs = await waitUntil(
      () => discord.gateway.shards().join() === "0,1",
      "the shards moving to another process",
      15_000,
    );
    expect(tookMs).toBeLessThan(15_000);
    expect(moving.map(identified)).toEqual(before.map((n) => n + 1));
    // The heir logs once its client is ready, a moment after Discord saw its IDENTIFY.
    const heirs = () => bots.filter((bot) => bot !== holder && bot.output().includes("Discord shard 0 of 2 connected"));
    await waitUntil(() => heirs().length === 1, "another process saying it holds shard 0", 10_000);
    await answeredOnce(0);
    await answeredOnce(1);
  });
});
