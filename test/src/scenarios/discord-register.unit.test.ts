import { registerCommands } from "@tally/discord-bot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APPLICATION_ID, type LocalDiscord, startLocalDiscord } from "../discord/local-discord.ts";

let discord: LocalDiscord;
beforeAll(async () => {
  discord = await startLocalDiscord();
});
afterAll(() => discord?.close());

describe("registerCommands (pnpm tally discord register)", () => {
  it("puts /points with its subcommands and typed options globally, authenticated as the bot", async () => {
    const registered = await registerCommands({
      token: discord.token,
      applicationId: APPLICATION_ID,
      apiUrl: discord.apiUrl,
    });
    expect(registered.map((c) => c.name)).toEqual(["points"]);
    const put = await discord.waitFor((r) => r.method === "PUT");
    expect(put.path).toBe(`/api/v10/applications/${APPLICATION_ID}/commands`);
    expect(put.authorization).toBe(`Bot ${discord.token}`);
    const [points] = put.body;
    expect(points.contexts).toEqual([0]);
    const subcommands = Object.fromEntries(
      points.options.map((s: { name: string; options?: unknown[] }) => [s.name, s.options ?? []]),
    );
    expect(Object.keys(subcommands)).toEqual([
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
    ]);
    // The amount of a thank is optional (1): everything else as in give.
    expect(subcommands.thank).toEqual([
      expect.objectContaining({ name: "user", type: 6, required: true }),
      expect.objectContaining({ name: "amount", type: 4, min_value: 1 }),
      expect.objectContaining({ name: "reason", type: 3, max_length: 200 }),
      expect.objectContaining({ name: "currency", type: 3, autocomplete: true }),
    ]);
    expect(subcommands.thank[1].required ?? false).toBe(false);
    expect(subcommands.allowance).toEqual([expect.objectContaining({ name: "currency", type: 3 })]);
    expect(subcommands.link).toEqual([expect.objectContaining({ name: "code", type: 3 })]);
    expect(subcommands.link[0].required ?? false).toBe(false);
    expect(subcommands.whoami).toEqual([]);
    expect(subcommands.undo).toEqual([expect.objectContaining({ name: "entry", type: 3, max_length: 20 })]);
    expect(subcommands.undo[0].required ?? false).toBe(false);
    // Whom: the user option, or to: for an identity typed as text; Discord lists required options first.
    expect(subcommands.give).toEqual([
      expect.objectContaining({ name: "amount", type: 4, required: true, min_value: 1 }),
      expect.objectContaining({ name: "user", type: 6 }),
      expect.objectContaining({ name: "to", type: 3 }),
      expect.objectContaining({ name: "reason", type: 3, max_length: 200 }),
      expect.objectContaining({ name: "currency", type: 3, autocomplete: true }),
      expect.objectContaining({ name: "role", type: 8 }),
    ]);
    expect(subcommands.take.map((o: { name: string }) => o.name)).not.toContain("role");
  });

  it("registers in one guild when asked, and fails clearly with a wrong token", async () => {
    const guildId = "950000000000000001";
    await registerCommands({ token: discord.token, applicationId: APPLICATION_ID, apiUrl: discord.apiUrl, guildId });
    expect(discord.requests.at(-1)?.path).toBe(`/api/v10/applications/${APPLICATION_ID}/guilds/${guildId}/commands`);
    await expect(
      registerCommands({ token: "wrong", applicationId: APPLICATION_ID, apiUrl: discord.apiUrl }),
    ).rejects.toThrow(/Unauthorized/);
  });
});
