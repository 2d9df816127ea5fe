import { randomUUID } from "node:crypto";
import { queryRows } from "@tally/db";
import { createSlackApp, LogLevel, signSlackRequest } from "@tally/slack-bot";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Harness } from "../harness.ts";
import { people, SIGNING_SECRET, slackSubject } from "../slack/fixtures.ts";
import type { LocalSlack } from "../slack/local-slack.ts";
import { type SlackHarness, startSlackHarness } from "../slack/slack-harness.ts";
import { postSigned, postSlashCommand, slashCommandPayload } from "../slack/slash-command.ts";

let s: SlackHarness;
let h: Harness;
let slack: LocalSlack;

beforeAll(async () => {
  s = await startSlackHarness();
  ({ h, slack } = s);
});
afterAll(() => s?.close());
beforeEach(() => h.reset());

type Answer = Awaited<ReturnType<SlackHarness["points"]>>;
const points = (userId: string, text: string, options?: { triggerId?: string; teamId?: string }) =>
  s.points(userId, text, options);

const balanceOf = async (userId: string, realmId = "default") =>
  Number((await h.core.balanceOf(realmId, slackSubject(userId))).balance);

const entryCount = async () =>
  Number((await queryRows<{ n: string }>(h.t.db, sql`SELECT count(*)::text AS n FROM ledger_entries`))[0]?.n);

const replyText = (answer: Answer) => JSON.stringify(answer.reply.blocks);

describe("Slack over HTTP: POST /slack/events on the API server", () => {
  it("verified auth.test with the bot token when the app was created", () => {
    expect(slack.calls[0]).toMatchObject({ method: "auth.test", token: slack.botToken });
  });

  it("give: acks empty at once, then posts a public Block Kit confirmation with the new balance", async () => {
    const answer = await points(people.admin.id, `give <@${people.member.id}|max> 10 great demo`);
    expect(answer.ack.elapsedMs).toBeLessThan(3000);
    expect(answer.reply.response_type).toBe("in_channel");
    expect(answer.reply.blocks[0].type).toBe("section");
    expect(replyText(answer)).toContain("10");
    expect(await balanceOf(people.member.id)).toBe(10);
    const [entry] = await queryRows<{
      via: string;
      initiator_type: string;
      initiator_id: string;
      idempotency_key: string;
    }>(h.t.db, sql`SELECT via, initiator_type, initiator_id, idempotency_key FROM ledger_entries`);
    expect(entry).toMatchObject({ via: "slack", initiator_type: "slack", initiator_id: people.admin.id });
    expect(entry?.idempotency_key).toMatch(/^slack:/);
  });

  it("acks before doing the work: with users.info taking 1.5 s the ack is back long before the reply", async () => {
    slack.slowDown("users.info", 1500);
    try {
      const key = randomUUID();
      const started = performance.now();
      // Someone Tally has not asked Slack about yet: a cached answer would need no users.info at all.
      const ack = await postSlashCommand(h.url, SIGNING_SECRET, {
        text: "give email:late@example.com 3",
        user_id: people.latecomer.id,
        response_url: slack.responseUrl(key),
      });
      expect(ack.status).toBe(200);
      expect(ack.elapsedMs).toBeLessThan(1500);
      expect(slack.responses(key)).toEqual([]);
      const reply = await slack.waitForResponse(key);
      expect(performance.now() - started).toBeGreaterThanOrEqual(1500);
      expect(reply.response_type).toBe("in_channel");
    } finally {
      slack.slowDown("users.info", 0);
    }
  });

  it("repeats a reason full of broadcasts and mentions in public without letting it notify anyone", async () => {
    // As Slack escapes what was typed: @channel, @here, @everyone, a user group, a person; then the same typed
    // literally in markup form, which Slack sends HTML-escaped.
    const reason =
      "<!channel> <!here|here> <!everyone> <!subteam^S0DEVS|@devs> <@U0FRIEND|fran> &lt;!here&gt; &lt;@U0FRIEND&gt; @everyone";
    const answer = await points(people.admin.id, `give <@${people.member.id}> 5 ${reason}`);
    expect(answer.reply.response_type).toBe("in_channel");
    const posted = JSON.stringify(answer.reply);
    // The only markup left is the mention of the recipient; the giver reads as a name.
    expect(new Set([...posted.matchAll(/<[@!#][^>]*>/g)].map((m) => m[0]))).toEqual(
      new Set([`<@${people.member.id}>`]),
    );
    expect(answer.reply.text).toContain(`@${people.admin.name} gave 5 points to <@${people.member.id}>`);
    expect(posted).not.toMatch(/<!|<@U0FRIEND|subteam/);
    expect(posted).not.toMatch(/@(here|channel|everyone)\b/);
    const textObjects = answer.reply.blocks.flatMap((b: { text?: unknown; fields?: unknown[] }) => [
      ...(b.text ? [b.text] : []),
      ...(b.fields ?? []),
    ]);
    expect(textObjects.length).toBeGreaterThan(0);
    for (const text of textObjects) expect(text).toMatchObject({ type: "mrkdwn", verbatim: true });
    // Still readable: each mention shows as its label.
    expect(answer.reply.text).toContain('for "@\u2060channel @\u2060here @\u2060everyone @devs @fran');
    expect(await balanceOf(people.member.id)).toBe(5);
  });

  it("asks Slack about a person once a minute, not on every command", async () => {
    const lookups = () => slack.calls.filter((c) => c.method === "users.info").map((c) => c.params.user);
    await points(people.owner.id, `give <@${people.friend.id}> 1`);
    const seen = lookups().length;
    expect(lookups()).toContain(people.owner.id);
    expect(lookups()).toContain(people.friend.id);
    await points(people.owner.id, `give <@${people.friend.id}> 2`);
    await points(people.friend.id, `tip <@${people.owner.id}> 1`);
    await points(people.owner.id, "balance");
    expect(lookups()).toHaveLength(seen);
    expect(await balanceOf(people.friend.id)).toBe(2);
  });

  it("take: an owner removes points; taking more than the balance is a private error that changes nothing", async () => {
    await points(people.owner.id, `give <@${people.member.id}> 10`);
    const take = await points(people.owner.id, `take <@${people.member.id}> 4 typo`);
    expect(take.reply.response_type).toBe("in_channel");
    expect(replyText(take)).toContain("6");
    expect(await balanceOf(people.member.id)).toBe(6);
    const before = await entryCount();
    const over = await points(people.owner.id, `take <@${people.member.id}> 7`);
    expect(over.reply.response_type).toBe("ephemeral");
    expect(await balanceOf(people.member.id)).toBe(6);
    expect(await entryCount()).toBe(before);
  });

  it("refuses give and take from a member who is not a workspace admin, privately, writing nothing", async () => {
    for (const text of [`give <@${people.friend.id}> 5`, `take <@${people.friend.id}> 5`]) {
      const answer = await points(people.member.id, text);
      expect(answer.reply.response_type).toBe("ephemeral");
    }
    expect(await entryCount()).toBe(0);
  });

  it("SLACK_ADMIN_USER_IDS grants give to a member Slack does not call an admin", async () => {
    const answer = await points(people.configured.id, `give <@${people.friend.id}> 5`);
    expect(answer.reply.response_type).toBe("in_channel");
    expect(await balanceOf(people.friend.id)).toBe(5);
  });

  it("tip: a member moves their own points; tipping oneself or a bot is refused", async () => {
    await points(people.admin.id, `give <@${people.member.id}> 10`);
    const tip = await points(people.member.id, `tip <@${people.friend.id}> 3 thanks for the review`);
    expect(tip.reply.response_type).toBe("in_channel");
    expect(await balanceOf(people.member.id)).toBe(7);
    expect(await balanceOf(people.friend.id)).toBe(3);
    const before = await entryCount();
    for (const text of [`tip <@${people.member.id}> 1`, `tip <@${people.bot.id}> 1`]) {
      expect((await points(people.member.id, text)).reply.response_type).toBe("ephemeral");
    }
    expect((await points(people.admin.id, `give <@${people.admin.id}> 5`)).reply.response_type).toBe("ephemeral");
    expect((await points(people.admin.id, `give <@${people.bot.id}> 5`)).reply.response_type).toBe("ephemeral");
    expect(await entryCount()).toBe(before);
  });

  it("speaks proper English: 1 point, 1 coin, and You have no points yet", async () => {
    const nothing = await points(people.member.id, `tip <@${people.friend.id}> 1`);
    expect(nothing.reply.text).toContain("You have no points yet, so there is nothing to tip.");
    const one = await points(people.admin.id, `give <@${people.member.id}> 1 first`);
    expect(one.reply.text).toContain(`@${people.admin.name} gave 1 point to <@${people.member.id}> for "first".`);
    expect(one.reply.text).toContain(`New balance of <@${people.member.id}>: 1 point.`);
    const coins = await h.core.createCurrency("default", { name: "coins" });
    const coin = await points(people.admin.id, `give <@${people.friend.id}> 1 --currency ${coins.id}`);
    expect(coin.reply.text).toContain(`gave 1 coin to <@${people.friend.id}>`);
  });

  it("balance, leaderboard and history answer with what the ledger holds", async () => {
    await points(people.admin.id, `give <@${people.member.id}> 12 first`);
    await points(people.admin.id, `give <@${people.friend.id}> 30 second`);
    const own = await points(people.member.id, "balance");
    expect(replyText(own)).toContain("12");
    const other = await points(people.member.id, `balance <@${people.friend.id}>`);
    expect(replyText(other)).toContain("30");
    const board = await points(people.member.id, "leaderboard");
    const boardText = replyText(board);
    expect(boardText).toContain("30");
    expect(boardText.indexOf("30")).toBeLessThan(boardText.lastIndexOf("12"));
    const history = await points(people.member.id, `history <@${people.friend.id}>`);
    expect(replyText(history)).toContain("second");
    // Public, but about people who did nothing: named, not mentioned, so nobody is notified.
    expect(replyText(board)).not.toContain("<@");
    expect(replyText(board)).toContain(`@${people.friend.name} — *30 points*`);
    expect(replyText(other)).not.toContain("<@");
    expect(replyText(other)).toContain(`@${people.friend.name} has *30 points*`);
  });

  it("help (and an empty command) explain the grammar; a typing mistake gets a private fix", async () => {
    for (const text of ["help", ""]) {
      const answer = await points(people.member.id, text);
      expect(answer.reply.response_type).toBe("ephemeral");
      expect(replyText(answer)).toContain("give");
    }
    const wrong = await points(people.admin.id, `give <@${people.member.id}> ten`);
    expect(wrong.reply.response_type).toBe("ephemeral");
    expect(replyText(wrong)).toContain("whole number like 10");
    expect(await entryCount()).toBe(0);
  });

  it("undo: an admin reverses their last give, or a named entry once; members and bad ids get a private reply", async () => {
    await points(people.admin.id, `give <@${people.member.id}> 8 by mistake`);
    const [gift] = (await h.core.history("default", { limit: 1 })).items;
    const undone = await points(people.admin.id, "undo");
    expect(undone.reply.response_type).toBe("in_channel");
    expect(undone.reply.text).toContain(`undid entry #${gift?.id}, your give of 8 points from`);
    expect(undone.reply.text).toContain('for "by mistake"');
    expect(await balanceOf(people.member.id)).toBe(0);
    const twice = await points(people.admin.id, `undo #${gift?.id}`);
    expect(twice.reply.response_type).toBe("ephemeral");
    expect(twice.reply.text).toContain("Already undone");
    for (const [who, text, says] of [
      [people.member.id, `undo ${gift?.id}`, "Only managers can do that"],
      [people.admin.id, "undo 99999", "No such entry"],
      [people.admin.id, "undo last", "not an entry id"],
    ] as const) {
      const answer = await points(who, text);
      expect(answer.reply.response_type).toBe("ephemeral");
      expect(answer.reply.text).toContain(says);
    }
    const history = await points(people.member.id, "history");
    expect(history.reply.text).toContain(`undo of #${gift?.id}`);
    expect(history.reply.text).toContain(`#${gift?.id} `);
    expect(await entryCount()).toBe(2);
  });

  it("credits discord: and user: targets, visible through the REST API", async () => {
    const snowflake = "123456789012345678";
    await points(people.admin.id, `give discord:${snowflake} 5 cross-platform`);
    const found = await h.call("GET", `/api/v1/realms/default/credentials/find?type=discord-id&value=${snowflake}`);
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ balance: 5, linked: false });

    expect((await h.call("POST", "/users", { body: { user_id: "u42" } })).status).toBe(201);
    const credited = await points(people.admin.id, "give user:u42 7 signup bonus");
    expect(credited.reply.response_type).toBe("in_channel");
    const credits = await h.call("GET", "/users/u42/credits");
    expect(credits.body).toEqual({ message: "fetch resource successfully", credit_balance: 7 });

    await points(people.admin.id, "give email:<mailto:Ada@Example.com|Ada@Example.com> 2");
    const email = await h.call("GET", "/api/v1/realms/default/credentials/find?type=email&value=ada@example.com");
    expect(email.body).toMatchObject({ balance: 2 });

    const missing = await points(people.admin.id, "give user:nobody 1");
    expect(missing.reply.response_type).toBe("ephemeral");
  });

  it("the same trigger_id twice applies once, one after the other or at the same moment", async () => {
    const triggerId = `${Date.now()}.retry`;
    await points(people.admin.id, `give <@${people.member.id}> 10`, { triggerId });
    const again = await points(people.admin.id, `give <@${people.member.id}> 10`, { triggerId });
    expect(replyText(again)).toContain("10");
    expect(await balanceOf(people.member.id)).toBe(10);
    const racing = `${Date.now()}.race`;
    await Promise.all(
      [1, 2, 3].map(() => points(people.admin.id, `give <@${people.friend.id}> 6`, { triggerId: racing })),
    );
    expect(await balanceOf(people.friend.id)).toBe(6);
    expect(await entryCount()).toBe(2);
  });

  it("maps a bound team to its realm and honours its manager users", async () => {
    await h.core.createRealm({ id: "acme", name: "Acme" });
    await h.core.bindBot({
      platform: "slack",
      externalId: "T0ACME",
      realmId: "acme",
      settings: { managerUserIds: [people.friend.id] },
    });
    await points(people.admin.id, `give <@${people.member.id}> 4`, { teamId: "T0ACME" });
    expect(await balanceOf(people.member.id, "acme")).toBe(4);
    // The binding's manager users may give in that workspace only.
    await points(people.friend.id, `give <@${people.member.id}> 1`, { teamId: "T0ACME" });
    expect(await balanceOf(people.member.id, "acme")).toBe(5);
    expect((await points(people.friend.id, `give <@${people.member.id}> 1`)).reply.response_type).toBe("ephemeral");
    await expect(h.core.balanceOf("default", slackSubject(people.member.id))).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("asks Slack again once the cached answer is older than the cache time", async () => {
    const shortLived = await createSlackApp({
      core: h.core,
      botToken: slack.botToken,
      signingSecret: SIGNING_SECRET,
      apiUrl: slack.apiUrl,
      logLevel: LogLevel.ERROR,
      // Long enough that two commands land inside it even on a loaded machine, short enough to wait out.
      userCacheMs: 2000,
    });
    s.handler = shortLived.handler;
    try {
      const asked = () => slack.calls.filter((c) => c.method === "users.info" && c.params.user === people.admin.id);
      const before = asked().length;
      await points(people.admin.id, "balance");
      await points(people.admin.id, "balance");
      expect(asked()).toHaveLength(before + 1);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      await points(people.admin.id, "balance");
      expect(asked()).toHaveLength(before + 2);
    } finally {
      s.handler = s.bot.handler;
      await shortLived.stop();
    }
  });

  describe("refuses what Slack did not sign, with 401 and nothing written", () => {
    const fields = () => ({
      text: `give <@${people.member.id}> 5`,
      user_id: people.admin.id,
      response_url: slack.responseUrl(randomUUID()),
    });

    // Timestamps are taken when each test runs: the suite may start minutes after it was collected.
    const now = () => Math.floor(Date.now() / 1000);
    it.each([
      ["a tampered signature", () => ({ signature: `v0=${"0".repeat(64)}` })],
      [
        "a signature made with another secret",
        () => ({ signature: signSlackRequest("not-the-secret", String(now()), "text=x") }),
      ],
      ["a stale timestamp", () => ({ timestamp: now() - 6 * 60 })],
      ["a timestamp from the future", () => ({ timestamp: now() + 6 * 60 })],
      [
        "a body changed after signing",
        () => ({ body: `text=give+%3C%40${people.member.id}%3E+500&user_id=${people.admin.id}` }),
      ],
    ])("%s", async (_name, overrides) => {
      const res = await postSlashCommand(h.url, SIGNING_SECRET, fields(), overrides());
      expect(res.status).toBe(401);
      expect(JSON.parse(res.text)).toMatchObject({ error: "invalid_signature" });
      expect(await entryCount()).toBe(0);
    });

    it("no signature headers at all", async () => {
      const res = await fetch(`${h.url}/slack/events`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ command: "/points", text: "give <@U0MEMBER> 5" }).toString(),
      });
      expect(res.status).toBe(401);
    });
  });

  it("answers 404 for a command this app does not handle", async () => {
    const body = new URLSearchParams({
      ...slashCommandPayload({ text: "", user_id: people.admin.id, response_url: slack.responseUrl(randomUUID()) }),
      command: "/weather",
    }).toString();
    const res = await postSigned(h.url, SIGNING_SECRET, body, "application/x-www-form-urlencoded");
    expect(res.status).toBe(404);
    expect(res.elapsedMs).toBeLessThan(3000);
  });

  it("answers Slack's ssl_check and url_verification handshakes", async () => {
    const ssl = await fetch(`${h.url}/slack/events`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "ssl_check=1&token=deprecated",
    });
    expect(ssl.status).toBe(200);
    expect(await ssl.text()).toBe("");
    const challenge = await postSigned(
      h.url,
      SIGNING_SECRET,
      JSON.stringify({ type: "url_verification", token: "x", challenge: "c-123" }),
      "application/json",
    );
    expect(challenge.status).toBe(200);
    expect(JSON.parse(challenge.text)).toEqual({ challenge: "c-123" });
  });
});
