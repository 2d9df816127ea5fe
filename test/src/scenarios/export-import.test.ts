import { importBalances, type WriteContext } from "@tally/core";
import { queryRows } from "@tally/db";
import { parse } from "csv-parse/sync";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "../harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const realm = "/api/v1/realms/default";
const credit = (query: string, amount: number, extra: Record<string, unknown> = {}) =>
  h.call("PATCH", `${realm}/credentials/balance?${query}`, { body: { amount, ...extra } });
const csv = (text: string) => parse(text, { columns: true }) as Record<string, string>[];
// the harness hands back a one-line JSON Lines body already parsed
const jsonl = (text: unknown) =>
  typeof text !== "string"
    ? [text]
    : text
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line));
const cli = (realmId: string): WriteContext => ({ realmId, initiator: { type: "cli", id: "test" }, via: "cli" });

async function seed() {
  await credit("type=discord-id&value=123456789012345678", 10, { initiatorId: "mod" });
  await h.call("PATCH", `${realm}/credentials/balance?type=email&value=a@b.io`, {
    body: { amount: 5 },
  });
  await credit("type=discord-id&value=123456789012345678", -3);
  await h.call(
    "PATCH",
    `${realm}/credentials/transfer?fromType=email&fromValue=a@b.io&toType=custom&toSource=shop&toValue=%3DCMD()`,
    {
      body: { amount: 2, description: '=HYPERLINK("http://evil"), "quoted"\nnext line' },
    },
  );
}

describe("GET transactions/export", () => {
  it("streams RFC 4180 CSV with a header, one row per entry, formula-safe cells and exact amounts", async () => {
    await seed();
    const res = await h.call("GET", `${realm}/transactions/export?format=csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/csv");
    const text = res.body as string;
    expect(text.split("\r\n")[0]).toBe(
      "id,created_at,currency_id,currency,account_id,user_id,credential_type,credential_source,identifier,delta,balance_after,kind,description,initiator_type,initiator_id,via,reverses_entry_id",
    );
    const rows = csv(text);
    const byIdentifier = (a: string[], b: string[]) => (a[0] === b[0] ? (a[1] ?? "").localeCompare(b[1] ?? "") : 0);
    expect(rows.map((r) => [r.id, r.identifier, r.delta, r.balance_after, r.kind])).toEqual(
      [
        ["1", "123456789012345678", "10", "10", "adjust"],
        ["2", "a@b.io", "5", "5", "adjust"],
        ["3", "123456789012345678", "-3", "7", "adjust"],
        ...[
          ["4", "a@b.io", "-2", "3", "transfer"],
          ["5", "'=CMD()", "2", "2", "transfer"],
        ].filter((r) => rows.some((x) => x.identifier === r[1] && x.id === r[0])),
        ...[
          ["5", "a@b.io", "-2", "3", "transfer"],
          ["4", "'=CMD()", "2", "2", "transfer"],
        ].filter((r) => rows.some((x) => x.identifier === r[1] && x.id === r[0])),
      ].sort((a, b) => Number(a[0]) - Number(b[0]) || byIdentifier(a, b)),
    );
    expect(rows[0]).toMatchObject({
      currency: "points",
      initiator_id: "mod",
      via: "api",
      credential_type: "discord-id",
    });
    expect(rows.find((r) => r.identifier === "'=CMD()")).toMatchObject({
      credential_type: "custom",
      credential_source: "shop",
    });
    // the description survives quoting (comma, quote, newline) and cannot run as a formula
    expect(rows[3]?.description).toBe('\'=HYPERLINK("http://evil"), "quoted"\nnext line');
    expect(rows[4]?.description).toBe(rows[3]?.description);
  });

  it("streams JSON Lines with JSON-number amounts, and filters by currency and dates", async () => {
    await seed();
    const cents = await h.call("POST", `${realm}/currencies`, { body: { name: "usd", scale: 2 } });
    await h.core.adjust(cli("default"), {
      subject: { kind: "credential", identifier: { type: "email", source: "", value: "a@b.io" } },
      amount: 12.34,
      currencyId: cents.body.id,
    });
    const all = jsonl((await h.call("GET", `${realm}/transactions/export?format=jsonl`)).body);
    expect(all).toHaveLength(6);
    expect(all[5]).toMatchObject({ currency: "usd", delta: 12.34, balance_after: 12.34, kind: "adjust" });
    const usdCsv = csv((await h.call("GET", `${realm}/transactions/export?currency=usd`)).body);
    expect(usdCsv.map((r) => r.delta)).toEqual(["12.34"]);
    const byId = jsonl(
      (await h.call("GET", `${realm}/transactions/export?format=jsonl&currency=${cents.body.id}`)).body,
    );
    expect(byId).toHaveLength(1);
    const future = await h.call("GET", `${realm}/transactions/export?from=2999-01-01`);
    expect(csv(future.body)).toEqual([]);
    const past = await h.call("GET", `${realm}/transactions/export?format=jsonl&to=2000-01-01T00:00:00Z`);
    expect(past.body).toBeUndefined(); // an empty body
    const window = await h.call(
      "GET",
      `${realm}/transactions/export?format=jsonl&from=2000-01-01&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
    );
    expect(jsonl(window.body)).toHaveLength(6);
  });

  it.each([
    ["format=xml", 400, "jsonl"],
    ["from=yesterday", 400, "from"],
    ["from=2020-01-02&to=2020-01-01", 400, "from"],
    ["currency=gold", 404, "currency"],
  ])("rejects %s with %s naming %s", async (query, status, field) => {
    const res = await h.call("GET", `${realm}/transactions/export?${query}`);
    expect(res.status).toBe(status);
    expect(res.body.message).toContain(field);
  });

  it("keeps other realms out", async () => {
    const other = await h.core.createRealm({ name: "other" });
    expect((await h.call("GET", `/api/v1/realms/${other.id}/transactions/export`)).status).toBe(403);
    expect((await h.call("GET", `/api/v1/realms/${other.id}/members/export`)).status).toBe(403);
  });
});

describe("GET members/export", () => {
  it("exports each account's balances with its credentials, in CSV and JSON Lines", async () => {
    await seed();
    await h.call("POST", "/users", { body: { user_id: "u1", email: "m@x.io", name: "+Mallory" } });
    await credit("type=email&value=m@x.io", 4);
    const rows = csv((await h.call("GET", `${realm}/members/export`)).body);
    const member = rows.find((r) => r.user_id === "u1");
    expect(member).toMatchObject({
      kind: "member",
      email: "m@x.io",
      name: "'+Mallory",
      currency: "points",
      balance: "4",
    });
    expect(member?.credentials).toBe("email:m@x.io");
    const ghost = rows.find((r) => r.credentials === "custom/shop:=CMD()");
    expect(ghost).toMatchObject({ kind: "ghost", balance: "2" });
    const lines = jsonl((await h.call("GET", `${realm}/members/export?format=jsonl`)).body);
    expect(lines).toHaveLength(rows.length);
    expect(lines.find((l) => l.user_id === "u1")).toMatchObject({
      balance: 4,
      credentials: [{ type: "email", source: null, value: "m@x.io" }],
    });
  });
});

describe("import", () => {
  const discordCsv = "discord_id,balance\n123456789012345678,120\n223456789012345678,0\n323456789012345678,7\n";
  const entries = async () =>
    queryRows<{ kind: string; delta: string; idempotency_key: string | null }>(
      h.t.db,
      sql`SELECT kind, delta::text AS delta, idempotency_key FROM ledger_entries ORDER BY id`,
    );
  const importFile = async (text: string, options: { apply: boolean; format?: "csv" | "jsonl"; realmId?: string }) =>
    importBalances(h.t.db, {
      ctx: cli(options.realmId ?? "default"),
      text,
      fileName: "board.csv",
      format: options.format ?? "csv",
      apply: options.apply,
      currencies: await h.core.currencies(options.realmId ?? "default"),
    });

  it("imports a discord_id,balance CSV: dry run first, then once per file, one import entry per account", async () => {
    const dry = await importFile(discordCsv, { apply: false });
    expect(dry).toMatchObject({ mapping: "discord", lines: 3, entries: 2, skipped: 1, totals: { points: "127" } });
    expect(dry.applied).toBe(false);
    expect(await entries()).toEqual([]);
    const applied = await importFile(discordCsv, { apply: true });
    expect(applied).toMatchObject({ applied: true, entries: 2, alreadyImported: false });
    const written = await entries();
    expect(written.map((e) => [e.kind, e.delta])).toEqual([
      ["import", "120"],
      ["import", "7"],
    ]);
    expect(written[0]?.idempotency_key).toBe(`import:${applied.fileSha256}:2`);
    const again = await importFile(discordCsv, { apply: true });
    expect(again).toMatchObject({ alreadyImported: true, applied: false, entries: 0 });
    expect(await entries()).toHaveLength(2);
    const balance = await h.call("GET", `${realm}/credentials/find?type=discord-id&value=123456789012345678`);
    expect(balance.body).toMatchObject({ balance: 120 });
  });

  it("writes nothing when any line is bad, and names the line", async () => {
    await expect(
      importFile("discord_id,balance\n123456789012345678,5\nnot-a-snowflake,3\n", { apply: true }),
    ).rejects.toMatchObject({
      code: "VALIDATION",
      message: expect.stringContaining("line 3"),
    });
    await expect(
      importFile("discord_id,balance\n123456789012345678,5\n123456789012345678,1\n", { apply: true }),
    ).rejects.toMatchObject({
      message: expect.stringContaining("line 3: the same account and currency as line 2"),
    });
    await expect(
      importFile("discord_id,balance\n123456789012345678,5\n223456789012345678,-1\n", { apply: true }),
    ).rejects.toMatchObject({
      message: expect.stringContaining("line 3"),
    });
    await expect(importFile("discord_id,balance\n123456789012345678,abc\n", { apply: true })).rejects.toMatchObject({
      message: expect.stringContaining("line 2: balance"),
    });
    const members = "account_id,kind,user_id,currency,balance,credentials\n";
    await expect(
      importFile(`${members}a1,member,u9,points,5,email:z@x.io\na2,ghost,,points,1,email:z@x.io\n`, { apply: true }),
    ).rejects.toMatchObject({
      message: expect.stringContaining("line 3: its email z@x.io is linked to a member on line 2"),
    });
    await expect(importFile("user,points\nx,1\n", { apply: true })).rejects.toMatchObject({
      message: expect.stringContaining("Unknown columns"),
    });
    expect(await entries()).toEqual([]);
    expect(
      Number((await queryRows<{ n: string }>(h.t.db, sql`SELECT count(*)::text AS n FROM credentials`))[0]?.n),
    ).toBe(0);
  });

  it.each(["csv", "jsonl"] as const)(
    "round-trips Tally's own members export (%s) into another realm",
    async (format) => {
      await seed();
      const gems = await h.call("POST", `${realm}/currencies`, { body: { name: "gems", scale: 2 } });
      await h.call("POST", "/users", { body: { user_id: "u1", email: "m@x.io", name: "=Mallory, Jr." } });
      await credit("type=email&value=m@x.io", 4);
      await h.core.adjust(cli("default"), {
        subject: { kind: "user", userId: "u1" },
        amount: 1.25,
        currencyId: gems.body.id,
      });
      await h.call("POST", `${realm}/credentials/link?type=custom&source=slack&value=U1`, { body: { userId: "u1" } });
      const exported = (await h.call("GET", `${realm}/members/export?format=${format}`)).body as string;

      const target = await h.core.createRealm({ name: "copy" });
      await h.core.createCurrency(target.id, { name: "gems", scale: 2 });
      const report = await importFile(exported, { apply: true, format, realmId: target.id });
      expect(report).toMatchObject({ mapping: "tally", applied: true, totals: { points: "16", gems: "1.25" } });

      const key = (await h.core.createApiKey(target.id, { name: "t" })).key;
      const copied = (await h.call("GET", `/api/v1/realms/${target.id}/members/export?format=${format}`, { auth: key }))
        .body;
      const comparable = (text: string) =>
        (format === "csv" ? csv(text) : jsonl(text)).map(({ account_id: _id, ...row }) => JSON.stringify(row)).sort();
      expect(comparable(copied)).toEqual(comparable(exported));
      // audit: every balance of the copy equals the sum of its ledger entries
      const audit = await queryRows<{ bad: string }>(
        h.t.db,
        sql`SELECT count(*)::text AS bad FROM balances b WHERE b.realm_id = ${target.id} AND b.balance <>
        (SELECT coalesce(sum(delta), 0) FROM ledger_entries e WHERE e.account_id = b.account_id AND e.currency_id = b.currency_id)`,
      );
      expect(audit[0]?.bad).toBe("0");
    },
  );
});
