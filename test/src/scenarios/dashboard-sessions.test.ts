import { createHash } from "node:crypto";
import { dashboardLinks, ledgerEntries, realms } from "@tally/db";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BOOTSTRAP_KEY, type Harness, startHarness } from "../harness.ts";
import { WebClient } from "../web-client.ts";

let h: Harness;
let clock = new Date("2026-03-02T12:00:00Z");
const ctx = (realmId = "default") => ({
  realmId,
  initiator: { type: "api_key" as const, id: "test" },
  via: "api" as const,
});
const user = (userId: string) => ({ kind: "user" as const, userId });

beforeAll(async () => {
  // Trusting a proxy changes nothing for requests without X-Forwarded-* headers, so one server serves both cases.
  h = await startHarness({ dashboard: { now: () => clock }, trustProxy: true });
});
afterAll(async () => {
  await h?.close();
});
beforeEach(async () => {
  clock = new Date("2026-03-02T12:00:00Z");
  await h.reset();
});

const signInLink = (realmId = "default", subjectId = "930000000000000001") =>
  h.core.dashboard.createSignInLink({ realmId, method: "discord", subjectId }, clock);

async function openLink(web: WebClient, token: string) {
  const landing = await web.get(`/dashboard/sign-in/${token}`);
  expect(landing.status).toBe(200);
  return web.post(`/dashboard/sign-in/${token}`, { _csrf: WebClient.csrf(landing.text) });
}

describe("dashboard sign-in", () => {
  it("sends /dashboard without a session to the login page, with a strict CSP on every page", async () => {
    const web = new WebClient(h.url);
    const answer = await web.get("/dashboard");
    expect(answer.status).toBe(303);
    expect(answer.location).toBe("/dashboard/login");
    const login = await web.get("/dashboard/login");
    expect(login.status).toBe(200);
    expect(login.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(login.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(login.text).not.toMatch(/<script>|style="/);
  });

  it("signs in with a realm API key into an HttpOnly SameSite=Lax session, and refuses a wrong key", async () => {
    const web = new WebClient(h.url);
    const form = await web.get("/dashboard/login");
    const wrong = await web.post("/dashboard/login", { _csrf: WebClient.csrf(form.text), key: "tly_nope_nope_nope" });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain("That API key is unknown or revoked.");
    const empty = await web.post("/dashboard/login", { _csrf: WebClient.csrf(wrong.text), key: " " });
    expect(empty.status).toBe(400);
    expect(empty.text).toContain("key: enter a realm API key");
    await web.logIn(BOOTSTRAP_KEY);
    const session = web.lastSetCookie.find((c) => c.startsWith("tally_session="));
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Lax/);
    expect(session).not.toMatch(/Secure/);
    const overview = await web.get("/dashboard");
    expect(overview.status).toBe(200);
    expect(overview.text).toContain("Balances issued");
  });

  it("marks cookies Secure when the browser came over https through a trusted proxy", async () => {
    const web = new WebClient(h.url);
    const https = { "x-forwarded-proto": "https" };
    const form = await web.get("/dashboard/login", https);
    expect(web.lastSetCookie.find((c) => c.startsWith("tally_csrf="))).toMatch(/Secure/);
    await web.post("/dashboard/login", { _csrf: WebClient.csrf(form.text), key: BOOTSTRAP_KEY }, https);
    expect(web.lastSetCookie.find((c) => c.startsWith("tally_session="))).toMatch(/Secure/);
  });

  it("refuses the login form without its CSRF token", async () => {
    const web = new WebClient(h.url);
    await web.get("/dashboard/login");
    const answer = await web.post("/dashboard/login", { key: BOOTSTRAP_KEY });
    expect(answer.status).toBe(403);
    expect(answer.text).toContain("Reload the page");
    expect(web.cookies.has("tally_session")).toBe(false);
  });

  it("opens a session from a one-time link stored only as its SHA-256, once", async () => {
    const token = await signInLink();
    const [row] = await h.t.db.select().from(dashboardLinks);
    expect(row?.tokenHash).toBe(createHash("sha256").update(token).digest("hex"));
    expect(JSON.stringify(row)).not.toContain(token);

    const web = new WebClient(h.url);
    const opened = await openLink(web, token);
    expect(opened.status).toBe(303);
    expect((await web.get("/dashboard")).status).toBe(200);

    const again = await openLink(new WebClient(h.url), token);
    expect(again.status).toBe(410);
    expect(again.text).toContain("expired or was used already");
  });

  it("refuses a link opened after 10 minutes, and a made-up one", async () => {
    const token = await signInLink();
    clock = new Date(clock.getTime() + 10 * 60_000 + 1);
    const late = await openLink(new WebClient(h.url), token);
    expect(late.status).toBe(410);
    const madeUp = await openLink(new WebClient(h.url), "x".repeat(43));
    expect(madeUp.status).toBe(410);
  });

  it("ends an idle session after 30 minutes, and on sign-out", async () => {
    const web = new WebClient(h.url);
    await web.logIn(BOOTSTRAP_KEY);
    clock = new Date(clock.getTime() + 29 * 60_000);
    expect((await web.get("/dashboard/ledger")).status).toBe(200);
    clock = new Date(clock.getTime() + 29 * 60_000);
    const stillActive = await web.get("/dashboard/ledger");
    expect(stillActive.status).toBe(200);
    clock = new Date(clock.getTime() + 31 * 60_000);
    expect((await web.get("/dashboard/ledger")).location).toBe("/dashboard/login");

    await web.logIn(BOOTSTRAP_KEY);
    const copied = web.cookies.get("tally_session");
    const page = await web.get("/dashboard");
    const out = await web.post("/dashboard/logout", { _csrf: WebClient.csrf(page.text) });
    expect(out.location).toBe("/dashboard/login");
    const replay = new WebClient(h.url);
    replay.cookies.set("tally_session", copied ?? "");
    expect((await replay.get("/dashboard")).location).toBe("/dashboard/login");
  });
});

describe("dashboard writes", () => {
  it("reverses an entry after a confirmation page, recorded as the dashboard's, and refuses it without CSRF", async () => {
    await h.core.createUser(ctx(), { userId: "ada" });
    const give = await h.core.adjust(ctx(), { subject: user("ada"), amount: 25, description: "helped" });
    const web = new WebClient(h.url);
    await web.logIn(BOOTSTRAP_KEY);
    const confirm = await web.get(`/dashboard/ledger/${give.entryId}/reverse`);
    expect(confirm.text).toContain(`Reverse entry #${give.entryId}`);

    const forged = await web.post(`/dashboard/ledger/${give.entryId}/reverse`, { description: "no token" });
    expect(forged.status).toBe(403);
    expect((await h.core.balanceOf("default", user("ada"))).balance).toBe(25n);

    const done = await web.post(`/dashboard/ledger/${give.entryId}/reverse`, {
      _csrf: WebClient.csrf(confirm.text),
      description: "mistake",
    });
    expect(done.status).toBe(200);
    expect(done.text).toContain(`Entry #${give.entryId} is undone`);
    expect((await h.core.balanceOf("default", user("ada"))).balance).toBe(0n);
    const [reversal] = (await h.core.history("default", { limit: 1 })).items;
    expect(reversal).toMatchObject({
      kind: "reversal",
      via: "dashboard",
      initiatorType: "api_key",
      description: "mistake",
    });

    const twice = await web.post(`/dashboard/ledger/${give.entryId}/reverse`, { _csrf: WebClient.csrf(done.text) });
    expect(twice.status).toBe(409);
    expect((await h.core.balanceOf("default", user("ada"))).balance).toBe(0n);
  });

  it("filters the ledger, pages it, exports the filtered view, and names a bad filter field", async () => {
    await h.core.createUser(ctx(), { userId: "ada" });
    await h.core.createUser(ctx(), { userId: "bob" });
    for (let i = 1; i <= 60; i++) await h.core.adjust(ctx(), { subject: user(i % 2 ? "ada" : "bob"), amount: i });
    const web = new WebClient(h.url);
    await web.logIn(BOOTSTRAP_KEY);
    const first = await web.get("/dashboard/ledger?member=bob");
    expect(first.status).toBe(200);
    const rows = (text: string) => [...text.matchAll(/<tr>\n<td>(\d+)<\/td>/g)].map((m) => Number(m[1]));
    expect(rows(first.text)).toHaveLength(30);
    expect(rows(first.text).every((id) => id % 2 === 0)).toBe(true);

    const all = await web.get("/dashboard/ledger");
    expect(rows(all.text)).toHaveLength(50);
    const next = /href="\/dashboard\/ledger\?cursor=(\d+)" rel="next"/.exec(all.text)?.[1];
    expect(next).toBe("11");
    const older = await web.get(`/dashboard/ledger?cursor=${next}`);
    expect(rows(older.text)).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);

    const csv = await web.get("/dashboard/ledger/export?member=bob&format=csv");
    expect(csv.headers.get("content-type")).toContain("text/csv");
    const lines = csv.text.trim().split("\n");
    expect(lines).toHaveLength(31);
    expect(lines.slice(1).every((line) => line.includes(",bob,"))).toBe(true);
    const jsonl = await web.get("/dashboard/ledger/export?member=ada&format=jsonl");
    expect(
      jsonl.text
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).user_id),
    ).toEqual(Array(30).fill("ada"));

    for (const [query, message] of [
      ["kind=gift", "kind: use one of"],
      ["from=yesterday", "from: a date like"],
      ["member=nobody", 'member: no member with account id or user id "nobody"'],
      ["credential=discord:12", "discord-id must be a Discord user id"],
    ] as const) {
      const bad = await web.get(`/dashboard/ledger?${query}`);
      expect(bad.status, query).toBe(400);
      expect(bad.text).toContain(message.replaceAll('"', "&quot;"));
    }
  });

  it("creates an API key shown once, revokes it, and creates a currency; bad input names the field", async () => {
    const web = new WebClient(h.url);
    await web.logIn(BOOTSTRAP_KEY);
    const keys = await web.get("/dashboard/keys");
    const created = await web.post("/dashboard/keys", { _csrf: WebClient.csrf(keys.text), name: "shop" });
    expect(created.status).toBe(201);
    const key = /data-testid="new-key">(tly_[\w-]+)</.exec(created.text)?.[1] ?? "";
    expect((await h.core.authenticateApiKey(key))?.realmId).toBe("default");
    expect((await web.get("/dashboard/keys")).text).not.toContain(key);
    const [listed] = (await h.core.listApiKeys("default")).filter((k) => k.name === "shop");
    const revoked = await web.post(`/dashboard/keys/${listed?.id}/revoke`, { _csrf: WebClient.csrf(created.text) });
    expect(revoked.text).toContain("The key is revoked.");
    expect(await h.core.authenticateApiKey(key)).toBeUndefined();

    const currencies = await web.get("/dashboard/currencies");
    const badScale = await web.post("/dashboard/currencies", {
      _csrf: WebClient.csrf(currencies.text),
      name: "gems",
      scale: "9",
    });
    expect(badScale.status).toBe(400);
    expect(badScale.text).toContain("scale: a whole number from 0 to 6.");
    const gems = await web.post("/dashboard/currencies", {
      _csrf: WebClient.csrf(currencies.text),
      name: "gems",
      emoji: "💎",
      scale: "2",
    });
    expect(gems.status).toBe(201);
    const made = (await h.core.currencies("default")).find((c) => c.name === "gems");
    expect(made).toMatchObject({ emoji: "💎", scale: 2, allowNegative: false, isDefault: false });
  });
});

describe("overview", () => {
  it("sums balances issued, counts entries per day, and ranks the week's givers and receivers", async () => {
    clock = new Date();
    const by = (id: string) => ({ ...ctx(), initiator: { type: "api_key" as const, id } });
    for (const name of ["ada", "bob", "cy"]) await h.core.createUser(ctx(), { userId: name, name: `${name} name` });
    await h.core.adjust(by("key-one"), { subject: user("ada"), amount: 10 });
    await h.core.adjust(by("key-two"), { subject: user("bob"), amount: 30 });
    await h.core.adjust(by("key-two"), { subject: user("ada"), amount: 5 });
    await h.core.adjust(by("key-one"), { subject: user("cy"), amount: 2 });
    await h.core.adjust(by("key-one"), { subject: user("cy"), amount: -2 });
    const gems = await h.core.createCurrency("default", { name: "gems" });
    await h.core.adjust(by("key-three"), { subject: user("cy"), amount: 500, currencyId: gems.id });
    const web = new WebClient(h.url);
    await web.logIn(BOOTSTRAP_KEY);
    const overview = await web.get("/dashboard");
    expect(overview.text).toContain("45 points</p>\n<p>points (default) · 2 holders");
    expect(overview.text).toContain("500 gems</p>\n<p>gems · 1 holder</p>");
    const list = (heading: string) =>
      [...(new RegExp(`${heading}[^]*?</ol>`).exec(overview.text)?.[0] ?? "").matchAll(/<li>(.*?)<\/li>/g)].map((m) =>
        m[1]?.replace(/<[^>]+>/g, ""),
      );
    expect(list("Top givers")).toEqual(["API key key-two: 35 points", "API key key-one: 12 points"]);
    expect(list("Top receivers")).toEqual(["bob name: 30 points", "ada name: 15 points", "cy name: 2 points"]);
    const series = JSON.parse((/data-series="([^"]+)"/.exec(overview.text)?.[1] ?? "{}").replaceAll("&quot;", '"')) as {
      y: number[];
    };
    expect(series.y).toHaveLength(30);
    expect(series.y.at(-1)).toBe(6);
    expect(series.y.slice(0, -1).every((n) => n === 0)).toBe(true);
  });
});

describe("leaderboard", () => {
  it("ranks balances, or what was received in a period, and names a bad period", async () => {
    for (const name of ["ada", "bob"]) await h.core.createUser(ctx(), { userId: name, name });
    await h.core.adjust(ctx(), { subject: user("ada"), amount: 50 });
    await h.core.adjust(ctx(), { subject: user("bob"), amount: 20 });
    await h.core.adjust(ctx(), { subject: user("ada"), amount: -45 });
    const web = new WebClient(h.url);
    await web.logIn(BOOTSTRAP_KEY);
    const names = (text: string) =>
      [...text.matchAll(/<a href="\/dashboard\/members\/\w+">(\w+)<\/a>/g)].map((m) => m[1]);
    expect(names((await web.get("/dashboard/leaderboard")).text)).toEqual(["bob", "ada"]);
    expect(names((await web.get("/dashboard/leaderboard?period=all")).text)).toEqual(["bob", "ada"]);
    const week = await web.get("/dashboard/leaderboard?period=week");
    expect(week.text).toContain('<option value="week" selected>this week (received)</option>');
    expect(names(week.text).sort()).toEqual(["ada", "bob"]);
    const bad = await web.get("/dashboard/leaderboard?period=year");
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("period: use one of");
  });
});

describe("realm time zone", () => {
  it("shows times and per-day counts in the realm's time zone", async () => {
    await h.t.db.update(realms).set({ timezone: "Asia/Tokyo" }).where(eq(realms.id, "default"));
    await h.core.createUser(ctx(), { userId: "ada" });
    const give = await h.core.adjust(ctx(), { subject: user("ada"), amount: 5 });
    const [entry] = (await h.core.history("default", { limit: 1 })).items;
    const web = new WebClient(h.url);
    await web.logIn(BOOTSTRAP_KEY);
    const ledger = await web.get("/dashboard/ledger");
    expect(ledger.text).toContain("When (Asia/Tokyo)");
    const tokyo = new Intl.DateTimeFormat("sv-SE", {
      timeZone: "Asia/Tokyo",
      dateStyle: "short",
      timeStyle: "short",
    }).format(entry?.createdAt);
    expect(ledger.text).toContain(`<td>${give.entryId}</td><td>${tokyo}</td>`);
    const overview = await web.get("/dashboard");
    expect(overview.text).toContain("Entries per day (last 30 days, Asia/Tokyo)");
    const series = JSON.parse((/data-series="([^"]+)"/.exec(overview.text)?.[1] ?? "{}").replaceAll("&quot;", '"')) as {
      x: number[];
      y: number[];
    };
    const tokyoDay = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Tokyo" }).format(clock);
    expect(series.x.at(-1)).toBe(Date.parse(`${tokyoDay}T00:00:00Z`) / 1000);
  });
  it("filters the ledger by the realm's local days, and refuses a day that does not exist", async () => {
    await h.t.db.update(realms).set({ timezone: "Asia/Tokyo" }).where(eq(realms.id, "default"));
    await h.core.createUser(ctx(), { userId: "ada" });
    const ids: number[] = [];
    // 14:59:59Z is 23:59:59 in Tokyo; 15:00Z is midnight of the next Tokyo day.
    for (const at of ["2026-03-01T14:59:59Z", "2026-03-01T15:00:00Z", "2026-03-02T14:59:59Z", "2026-03-02T15:00:00Z"]) {
      const change = await h.core.adjust(ctx(), { subject: user("ada"), amount: 1 });
      await h.t.db
        .update(ledgerEntries)
        .set({ createdAt: new Date(at) })
        .where(eq(ledgerEntries.id, BigInt(change.entryId)));
      ids.push(Number(change.entryId));
    }
    const web = new WebClient(h.url);
    await web.logIn(BOOTSTRAP_KEY);
    const rows = async (query: string) => {
      const answer = await web.get(`/dashboard/ledger?${query}`);
      expect(answer.status, query).toBe(200);
      return [...answer.text.matchAll(/<tr>\n<td>(\d+)<\/td>/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
    };
    expect(await rows("from=2026-03-02&to=2026-03-02")).toEqual([ids[1], ids[2]]);
    expect(await rows("to=2026-03-01")).toEqual([ids[0]]);
    expect(await rows("from=2026-03-03")).toEqual([ids[3]]);
    const csv = await web.get("/dashboard/ledger/export?from=2026-03-02&to=2026-03-02&format=csv");
    expect(csv.text.trim().split("\n")).toHaveLength(3);
    const bad = await web.get("/dashboard/ledger?to=2026-02-30");
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("to: a date like 2026-01-31.");
  });
});

describe("realm isolation", () => {
  it("never shows or changes realm A's data from a session of realm B", async () => {
    await h.core.createUser(ctx(), { userId: "ada" });
    const give = await h.core.adjust(ctx(), { subject: user("ada"), amount: 25, description: "realm A secret" });
    await h.core.createRealm({ id: "realm-b", name: "Realm B" });
    const { key } = await h.core.createApiKey("realm-b", { name: "b" });
    const web = new WebClient(h.url);
    await web.logIn(key);

    const overview = await web.get("/dashboard");
    expect(overview.text).toContain("Realm B");
    expect(overview.text).not.toContain("realm A secret");
    expect((await web.get("/dashboard/ledger")).text).not.toContain("realm A secret");
    expect((await web.get(`/dashboard/members/${give.accountId}`)).status).toBe(404);
    expect((await web.get(`/dashboard/ledger/${give.entryId}/reverse`)).status).toBe(404);
    expect((await web.get("/dashboard/ledger?member=ada")).status).toBe(400);
    const exported = await web.get("/dashboard/ledger/export?format=csv");
    expect(exported.text.trim().split("\n")).toHaveLength(1);

    const page = await web.get("/dashboard/keys");
    const reverse = await web.post(`/dashboard/ledger/${give.entryId}/reverse`, { _csrf: WebClient.csrf(page.text) });
    expect(reverse.status).toBe(404);
    const [defaultKey] = await h.core.listApiKeys("default");
    const revoke = await web.post(`/dashboard/keys/${defaultKey?.id}/revoke`, { _csrf: WebClient.csrf(page.text) });
    expect(revoke.status).toBe(404);
    expect(await h.core.authenticateApiKey(BOOTSTRAP_KEY)).toBeDefined();
    expect(await h.t.db.select().from(ledgerEntries)).toHaveLength(1);
  });
});
