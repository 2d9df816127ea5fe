import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { PointsCommand, Target } from "./contract.ts";
import { parsePointsText } from "./parse-text.ts";

const slackId = fc.stringMatching(/^[UW][A-Z0-9]{2,11}$/);
const snowflake = fc.stringMatching(/^[1-9]\d{16,19}$/);
const email = fc.tuple(fc.stringMatching(/^[a-z0-9._+-]{1,12}$/), fc.stringMatching(/^[a-z0-9-]{1,10}\.[a-z]{2,6}$/));
const userId = fc.stringMatching(/^[A-Za-z0-9_.:@-]{1,40}$/);
const currencyId = fc.stringMatching(/^[a-z][a-z0-9_-]{0,15}$/);
const amount = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
const reasonWord = fc.stringMatching(/^[A-Za-z0-9!?.,'()#%*]{1,10}$/).filter((w) => !w.startsWith("--"));
const reason = fc.array(reasonWord, { minLength: 1, maxLength: 8 }).map((words) => words.join(" "));

const target: fc.Arbitrary<Target> = fc.oneof(
  slackId.map((id) => ({ kind: "member", platform: "slack", id }) as const),
  snowflake.map((id) => ({ kind: "discord", id }) as const),
  email.map(([local, domain]) => ({ kind: "email", address: `${local}@${domain}` }) as const),
  userId.map((id) => ({ kind: "user", userId: id }) as const),
);

const command: fc.Arbitrary<PointsCommand> = fc.oneof(
  fc.record(
    {
      name: fc.constantFrom("give", "take", "tip"),
      target,
      amount,
      reason,
      currencyId,
    },
    { requiredKeys: ["name", "target", "amount"] },
  ),
  fc.record({ name: fc.constantFrom("balance", "history"), target, currencyId }, { requiredKeys: ["name"] }),
  fc.record(
    { name: fc.constant("leaderboard"), period: fc.constantFrom("day", "week", "month", "all"), currencyId },
    { requiredKeys: ["name"] },
  ),
  fc.constant({ name: "help" } as const),
);

/** How a person would type the command in Slack (as Slack escapes it), in one of several spellings. */
function typed(cmd: PointsCommand, style: { mentionName: string; upper: boolean; equals: boolean; mailto: boolean }) {
  const targetText = (t: Target) => {
    switch (t.kind) {
      case "member":
        return style.mentionName ? `<@${t.id}|${style.mentionName}>` : `<@${t.id}>`;
      case "discord":
        return `discord:${t.id}`;
      case "email":
        return style.mailto ? `email:<mailto:${t.address}|${t.address}>` : `email:${t.address}`;
      case "user":
        return `user:${t.userId}`;
      case "group":
        return `<!subteam^${t.id}|@${t.name ?? t.id}>`;
    }
  };
  const parts: string[] = [style.upper ? cmd.name.toUpperCase() : cmd.name];
  if ("target" in cmd && cmd.target) parts.push(targetText(cmd.target));
  if ("period" in cmd && cmd.period) parts.push(style.upper ? cmd.period.toUpperCase() : cmd.period);
  if ("amount" in cmd) parts.push(String(cmd.amount));
  if ("reason" in cmd && cmd.reason) parts.push(cmd.reason);
  if ("currencyId" in cmd && cmd.currencyId) {
    parts.push(style.equals ? `--currency=${cmd.currencyId}` : `--currency ${cmd.currencyId}`);
  }
  return parts.join(" ");
}

describe("parsePointsText", () => {
  it("reads back every command however it is typed", () => {
    fc.assert(
      fc.property(
        command,
        fc.record({
          mentionName: fc.stringMatching(/^[a-z .]{0,12}$/),
          upper: fc.boolean(),
          equals: fc.boolean(),
          mailto: fc.boolean(),
        }),
        fc.constantFrom(" ", "  ", "\t"),
        (cmd, style, gap) => {
          const text = typed(cmd, style).replaceAll(/ (?![^<]*>)/g, gap);
          expect(parsePointsText(`${gap}${text}`)).toEqual(cmd);
        },
      ),
    );
  });

  it("never throws and always explains a rejection", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        const parsed = parsePointsText(text);
        if ("error" in parsed) expect(parsed.error.length).toBeGreaterThan(10);
      }),
    );
    fc.assert(
      fc.property(fc.constantFrom("give", "take", "tip", "balance", "history"), fc.string(), (name, rest) => {
        const parsed = parsePointsText(`${name} ${rest}`);
        expect("error" in parsed || parsed.name === name).toBe(true);
      }),
    );
  });

  it("rejects every amount that is not a positive whole number", () => {
    const bad = fc.oneof(
      fc.integer({ max: 0 }).map(String),
      fc.double({ noInteger: true, noNaN: true }).map(String),
      fc.bigInt({ min: 2n ** 53n, max: 10n ** 30n }).map(String),
      fc.stringMatching(/^[a-z]{1,6}$/),
      fc.constantFrom("1e3", "0x10", "10pts", "½", "NaN", "Infinity", "1,000"),
    );
    fc.assert(
      fc.property(fc.constantFrom("give", "take", "tip"), bad, (name, amountText) => {
        const parsed = parsePointsText(`${name} <@U123> ${amountText} because`);
        expect(parsed).toHaveProperty("error");
      }),
    );
  });

  it("reads undo with and without an entry id, as history shows it or bare", () => {
    expect(parsePointsText("undo")).toEqual({ name: "undo" });
    expect(parsePointsText("UNDO 42")).toEqual({ name: "undo", entryId: "42" });
    expect(parsePointsText("undo #42")).toEqual({ name: "undo", entryId: "42" });
    expect(parsePointsText("undo 007")).toEqual({ name: "undo", entryId: "7" });
  });

  it("takes an empty text as help", () => {
    expect(parsePointsText("")).toEqual({ name: "help" });
    expect(parsePointsText("   ")).toEqual({ name: "help" });
    expect(parsePointsText("help give")).toEqual({ name: "help" });
  });

  it("keeps the reason's words, spacing normalised and Slack's entities undone", () => {
    expect(parsePointsText("give <@U1|ada> 5 for  the &lt;fast&gt; fix &amp; tests")).toEqual({
      name: "give",
      target: { kind: "member", platform: "slack", id: "U1" },
      amount: 5,
      reason: "for the <fast> fix & tests",
    });
    expect(parsePointsText("tip <@U2> 3 thanks <@U3|bo> --currency gems")).toEqual({
      name: "tip",
      target: { kind: "member", platform: "slack", id: "U2" },
      amount: 3,
      reason: "thanks <@U3|bo>",
      currencyId: "gems",
    });
  });

  it("reads a Slack user group as a group target", () => {
    expect(parsePointsText("give <!subteam^S0MODS|@mods> 10 thanks")).toEqual({
      name: "give",
      target: { kind: "group", platform: "slack", id: "S0MODS", name: "@mods" },
      amount: 10,
      reason: "thanks",
    });
  });

  it("reads slack:<user id>, link codes and whoami", () => {
    expect(parsePointsText("give slack:U0ADA 5")).toEqual({
      name: "give",
      target: { kind: "member", platform: "slack", id: "U0ADA" },
      amount: 5,
    });
    expect(parsePointsText("link")).toEqual({ name: "link" });
    expect(parsePointsText("link TALLY-ABCD2345")).toEqual({ name: "link", code: "TALLY-ABCD2345" });
    expect(parsePointsText("whoami")).toEqual({ name: "whoami" });
    expect(parsePointsText("whoami <@U1>")).toEqual({ error: "`/points whoami` takes nothing after it." });
  });

  it.each([
    ["dance", /Unknown subcommand "dance"/],
    ["give", /Say who/],
    ["give <@U1>", /Say how many/],
    ["give @ada 5", /plain text, not a mention/],
    ["give ada 5", /not someone I can credit/],
    ["give <#C1|general> 5", /channel/],
    ["give <!here> 5", /a user group, not @here/],
    ["give discord:123 5", /17 to 20 digits/],
    ["give email:nope 5", /not an email address/],
    ["give user: 5", /needs a user id/],
    ["give <@U1> 0", /at least 1/],
    ["give <@U1> -4", /must be positive/],
    ["give <@U1> 2.5", /whole number/],
    ["give <@U1> ten", /not an amount/],
    ["give <@U1> 99999999999999999999", /too large/],
    [`give <@U1> 5 ${"x".repeat(201)}`, /keep it to 200/],
    ["balance <@U1> <@U2>", /at most one person/],
    ["leaderboard <@U1>", /takes no person/],
    ["leaderboard fortnight", /not a period: use day, week, month or all/],
    ["leaderboard week month", /at most a period/],
    ["give slack:u1 5", /not a Slack user id/],
    ["balance --currency", /needs a currency id/],
    ["balance --currency=bad!id", /not a currency id/],
    ["balance --currency a --currency b", /once/],
    ["--currency gems", /Say what to do/],
    ["undo abc", /not an entry id/],
    ["undo 1234567890123456789", /not an entry id/],
    ["undo 1 2", /at most one entry id/],
    ["undo 4 --currency gems", /takes no --currency/],
  ])("%s -> a clear error", (text, message) => {
    const parsed = parsePointsText(text);
    expect(parsed).toHaveProperty("error");
    expect("error" in parsed && parsed.error).toMatch(message);
  });
});
