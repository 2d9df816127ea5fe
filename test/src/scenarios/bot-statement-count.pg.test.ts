import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { people } from "../slack/fixtures.ts";
import { type SlackHarness, startSlackHarness } from "../slack/slack-harness.ts";

// What PostgreSQL receives for one chat command once the process has seen its workspace (postgres.js reports every
// statement it sends): the binding of the workspace comes from the process's copy, not from a query per command.
const sent: string[] = [];
let s: SlackHarness;
beforeAll(async () => {
  s = await startSlackHarness({ harness: { onStatement: (text) => sent.push(text) } });
  await s.h.reset();
  // Warm everything a command may cache: the binding, the currencies, users.info, the credentials.
  await s.points(people.admin.id, `give <@${people.member.id}|max> 1`);
});
afterAll(() => s?.close());

describe("a Slack command's statements", () => {
  it("/points give sends two: whether giver and receiver are one member, and the write; no binding lookup", async () => {
    sent.length = 0;
    const answer = await s.points(people.admin.id, `give <@${people.member.id}|max> 2`);
    expect(JSON.stringify(answer.reply)).toContain("2");
    const statements = [...sent];
    const shown = statements.join("\n---\n");
    expect(
      statements.filter((text) => text.includes("bot_bindings")),
      shown,
    ).toEqual([]);
    expect(statements, shown).toHaveLength(2);
    expect(statements[0], shown).toContain("AS same");
    expect(statements[1], shown).toContain("INSERT INTO ledger_entries");
  });
});
