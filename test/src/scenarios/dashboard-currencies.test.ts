import { normalizeIdentifier } from "@tally/core";
import { currencies, realms } from "@tally/db";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BOOTSTRAP_KEY, type Harness, startHarness } from "../harness.ts";
import { WebClient } from "../web-client.ts";

let h: Harness;
let clock = new Date("2026-03-04T12:00:00Z");
const PUBLIC_URL = "https://tally.example.org";
const ctx = (realmId = "default") => ({
  realmId,
  initiator: { type: "api_key" as const, id: "test" },
  via: "api" as const,
});
const user = (userId: string) => ({ kind: "user" as const, userId });
const credential = (type: string, value: string) => ({
  kind: "credential" as const,
  identifier: normalizeIdentifier(type, value),
});

beforeAll(async () => {
  h = await startHarness({ dashboard: { now: () => clock, publicUrl: PUBLIC_URL } });
});
afterAll(async () => {
  await h?.close();
});
beforeEach(async () => {
  clock = new Date("2026-03-04T12:00:00Z");
  await h.reset();
});

async function signedIn(key = BOOTSTRAP_KEY) {
  const web = new WebClient(h.url);
  await web.logIn(key);
  return web;
}
const row = async (id: string) => (await h.t.db.select().from(currencies).where(eq(currencies.id, id)))[0];
const defaultCurrency = async (realmId = "default") => (await h.core.currencies(realmId)).find((c) => c.isDefault);

/** The edit form's fields as a browser sends them for a currency left as it is, with `changes` on top. */
async function editForm(web: WebClient, id: string, changes: Record<string, string> = {}) {
  const form = await web.get(`/dashboard/currencies/${id}`);
  expect(form.status).toBe(200);
  const field = (name: string) => new RegExp(`name="${name}"[^>]*value="([^"]*)"`).exec(form.text)?.[1] ?? "";
  const checkbox = (name: string) => (new RegExp(`name="${name}" value="on" checked`).test(form.text) ? "on" : "");
  const fields: Record<string, string> = {
    _csrf: WebClient.csrf(form.text),
    name: field("name"),
    emoji: field("emoji"),
    scale: field("scale"),
    allowancePeriod: /<option value="(\w+)" selected>/.exec(form.text)?.[1] ?? "none",
    allowanceAmount: field("allowanceAmount"),
  };
  for (const box of ["allowNegative", "managersExempt"]) if (checkbox(box)) fields[box] = "on";
  return { ...fields, ...changes };
}

describe("currency edit", () => {
  it("changes name, emoji, scale, the overdraft rule and the default, from the list's link", async () => {
    const gems = await h.core.createCurrency("default", { name: "gems" });
    const web = await signedIn();
    const list = await web.get("/dashboard/currencies");
    expect(list.text).toContain(`<a href="/dashboard/currencies/${gems.id}" aria-label="Edit gems">gems</a>`);

    const saved = await web.post(
      `/dashboard/currencies/${gems.id}`,
      await editForm(web, gems.id, { name: "rubies", emoji: "💎", scale: "2", allowNegative: "on", isDefault: "on" }),
    );
    expect(saved.status).toBe(200);
    expect(saved.text).toContain("Currency rubies saved.");
    expect(await row(gems.id)).toMatchObject({
      name: "rubies",
      emoji: "💎",
      scale: 2,
      allowNegative: true,
      isDefault: true,
    });
    expect((await defaultCurrency())?.id).toBe(gems.id);
    // The old default is an ordinary currency now, and can be made the default again.
    const points = (await h.core.currencies("default")).find((c) => c.name === "points");
    expect(points?.isDefault).toBe(false);
    const back = await web.post(
      `/dashboard/currencies/${points?.id}`,
      await editForm(web, points?.id ?? "", { isDefault: "on" }),
    );
    expect(back.status).toBe(200);
    expect((await defaultCurrency())?.id).toBe(points?.id);
    expect((await row(gems.id))?.isDefault).toBe(false);
    // Unticking the overdraft box turns it off; an empty emoji removes it.
    await web.post(`/dashboard/currencies/${gems.id}`, await editForm(web, gems.id, { emoji: "", allowNegative: "" }));
    expect(await row(gems.id)).toMatchObject({ emoji: null, allowNegative: false });
  });

  it("refuses a new scale once the currency has entries, as the API does, and changes nothing", async () => {
    const points = await defaultCurrency();
    await h.core.createUser(ctx(), { userId: "ada" });
    await h.core.adjust(ctx(), { subject: user("ada"), amount: 5 });
    const before = await row(points?.id ?? "");
    const web = await signedIn();
    const refused = await web.post(
      `/dashboard/currencies/${points?.id}`,
      await editForm(web, points?.id ?? "", { scale: "2", name: "renamed" }),
    );
    expect(refused.status).toBe(409);
    expect(refused.text).toContain("The scale of a currency can change only while it has no entries");
    // The form shows what was typed, to correct it.
    expect(refused.text).toContain('value="renamed"');
    expect(await row(points?.id ?? "")).toEqual(before);
    const api = await h.call("PATCH", `/api/v1/realms/default/currencies/${points?.id}`, { body: { scale: 2 } });
    expect(api.status).toBe(409);
    expect((await h.core.balanceOf("default", user("ada"))).balance).toBe(5n);
  });

  it("sets a giving allowance in the currency's scale, shows it back, and removes it", async () => {
    const cents = await h.core.createCurrency("default", { name: "cents", scale: 2 });
    const web = await signedIn();
    const set = await web.post(
      `/dashboard/currencies/${cents.id}`,
      await editForm(web, cents.id, { allowancePeriod: "week", allowanceAmount: "2.5", managersExempt: "on" }),
    );
    expect(set.status).toBe(200);
    expect(await row(cents.id)).toMatchObject({
      allowanceAmount: 250n,
      allowancePeriod: "week",
      allowanceManagersExempt: true,
    });
    expect(set.text).toContain('name="allowanceAmount" inputmode="decimal" value="2.50"');
    expect(set.text).toContain('<option value="week" selected>');

    const removed = await web.post(
      `/dashboard/currencies/${cents.id}`,
      await editForm(web, cents.id, { allowancePeriod: "none", allowanceAmount: "" }),
    );
    expect(removed.status).toBe(200);
    expect(await row(cents.id)).toMatchObject({ allowanceAmount: null, allowancePeriod: null });
  });

  it("names the field of bad input, shows the form again, and changes nothing", async () => {
    const cents = await h.core.createCurrency("default", { name: "cents", scale: 2 });
    await h.core.setAllowance("default", cents.id, { amount: 1, period: "day" });
    const before = await row(cents.id);
    const web = await signedIn();
    for (const [changes, status, message] of [
      [{ name: " " }, 400, "name: 1 to 64 characters."],
      [{ name: "x".repeat(65) }, 400, "name: 1 to 64 characters."],
      [{ scale: "9" }, 400, "scale: a whole number from 0 to 6."],
      [{ scale: "two" }, 400, "scale: a whole number from 0 to 6."],
      [{ emoji: "e".repeat(65) }, 400, "emoji: at most 64 characters."],
      [{ allowancePeriod: "year" }, 400, "allowance period: choose none, day, week or month."],
      [{ allowanceAmount: "" }, 400, "allowance amount: a positive number"],
      [{ allowanceAmount: "-3" }, 400, "allowance amount: a positive number"],
      [{ allowanceAmount: "1e3" }, 400, "allowance amount: a positive number"],
      [{ allowanceAmount: "0" }, 400, "allowance amount: The amount must not be zero."],
      [{ allowanceAmount: "1.255" }, 400, "allowance amount: The amount has more than 2 decimal places"],
      [{ name: "points" }, 409, "A currency with that name already exists."],
    ] as const) {
      const answer = await web.post(`/dashboard/currencies/${cents.id}`, await editForm(web, cents.id, changes));
      expect(answer.status, JSON.stringify(changes)).toBe(status);
      expect(answer.text).toContain('role="alert"');
      expect(answer.text).toContain(message);
      expect(await row(cents.id)).toEqual(before);
    }
  });

  it("archives and unarchives after a confirmation, and keeps the default currency from being archived", async () => {
    const gems = await h.core.createCurrency("default", { name: "gems" });
    await h.core.createUser(ctx(), { userId: "ada" });
    await h.core.adjust(ctx(), { subject: user("ada"), amount: 7, currencyId: gems.id });
    const web = await signedIn();
    const edit = await web.get(`/dashboard/currencies/${gems.id}`);
    expect(edit.text).toContain(`<a href="/dashboard/currencies/${gems.id}/archive">Archive gems…</a>`);
    const confirm = await web.get(`/dashboard/currencies/${gems.id}/archive`);
    expect(confirm.text).toContain('<button type="submit" class="danger">Archive gems</button>');
    expect((await row(gems.id))?.archivedAt).toBeNull();

    const archived = await web.post(`/dashboard/currencies/${gems.id}/archive`, {
      _csrf: WebClient.csrf(confirm.text),
    });
    expect(archived.status).toBe(200);
    expect(archived.text).toContain("Currency gems is archived.");
    expect(archived.text).toContain("This currency is archived: it takes no new entries");
    expect((await row(gems.id))?.archivedAt).toBeInstanceOf(Date);
    const list = await web.get("/dashboard/currencies");
    expect(list.text).toMatch(new RegExp(`${gems.id}</code>.*<td>archived</td></tr>`));
    await expect(h.core.adjust(ctx(), { subject: user("ada"), amount: 1, currencyId: gems.id })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    expect((await h.core.balanceOf("default", user("ada"), gems.id)).balance).toBe(7n);

    // An archived currency cannot become the default.
    const refused = await web.post(
      `/dashboard/currencies/${gems.id}`,
      await editForm(web, gems.id, { isDefault: "on" }),
    );
    expect(refused.status).toBe(409);
    expect(refused.text).toContain("An archived currency cannot be the default; unarchive it first.");
    expect((await row(gems.id))?.isDefault).toBe(false);

    const unconfirm = await web.get(`/dashboard/currencies/${gems.id}/unarchive`);
    const restored = await web.post(`/dashboard/currencies/${gems.id}/unarchive`, {
      _csrf: WebClient.csrf(unconfirm.text),
    });
    expect(restored.text).toContain("Currency gems is no longer archived.");
    expect((await row(gems.id))?.archivedAt).toBeNull();
    await h.core.adjust(ctx(), { subject: user("ada"), amount: 1, currencyId: gems.id });

    const points = await defaultCurrency();
    const pointsPage = await web.get(`/dashboard/currencies/${points?.id}`);
    expect(pointsPage.text).toContain("The default currency cannot be archived");
    const no = await web.post(`/dashboard/currencies/${points?.id}/archive`, {
      _csrf: WebClient.csrf(pointsPage.text),
    });
    expect(no.status).toBe(409);
    expect(no.text).toContain("default currency cannot be archived; make another one the default.");
    expect((await row(points?.id ?? ""))?.archivedAt).toBeNull();
  });

  it("refuses every currency write without its CSRF token, changing nothing", async () => {
    const gems = await h.core.createCurrency("default", { name: "gems" });
    const before = await row(gems.id);
    const web = await signedIn();
    const { _csrf, ...form } = await editForm(web, gems.id, { name: "forged" });
    expect((await web.post(`/dashboard/currencies/${gems.id}`, form)).status).toBe(403);
    expect((await web.post(`/dashboard/currencies/${gems.id}`, { ...form, _csrf: "made-up" })).status).toBe(403);
    expect((await web.post(`/dashboard/currencies/${gems.id}/archive`, {})).status).toBe(403);
    expect(await row(gems.id)).toEqual(before);
  });

  it("never shows or changes realm A's currency from a session of realm B", async () => {
    const gems = await h.core.createCurrency("default", { name: "gems" });
    const before = await row(gems.id);
    await h.core.createRealm({ id: "realm-b", name: "Realm B" });
    const { key } = await h.core.createApiKey("realm-b", { name: "b" });
    const web = await signedIn(key);
    const list = await web.get("/dashboard/currencies");
    expect(list.text).not.toContain(gems.id);
    expect((await web.get(`/dashboard/currencies/${gems.id}`)).status).toBe(404);
    expect((await web.get(`/dashboard/currencies/${gems.id}/archive`)).status).toBe(404);
    const csrf = WebClient.csrf(list.text);
    const edit = await web.post(`/dashboard/currencies/${gems.id}`, {
      _csrf: csrf,
      name: "stolen",
      scale: "0",
      allowancePeriod: "none",
      isDefault: "on",
    });
    expect(edit.status).toBe(404);
    expect((await web.post(`/dashboard/currencies/${gems.id}/archive`, { _csrf: csrf })).status).toBe(404);
    expect(await row(gems.id)).toEqual(before);
    expect((await defaultCurrency("realm-b"))?.name).toBe("points");
  });
});

describe("public leaderboard page", () => {
  async function seedMembers() {
    await h.core.createUser(ctx(), { userId: "ada-internal-7", name: "Ada" });
    // Members without a display name: one known by email only, one whose name is their email address.
    await h.core.createUser(ctx(), { userId: "cy-internal-9", email: "cy.secret@example.com" });
    await h.core.createUser(ctx(), { userId: "dee-internal-3", name: "dee@private.example" });
    await h.core.adjust(ctx(), { subject: user("ada-internal-7"), amount: 30 });
    await h.core.adjust(ctx(), { subject: user("cy-internal-9"), amount: 20 });
    await h.core.adjust(ctx(), { subject: user("dee-internal-3"), amount: 15 });
    // A ghost: credited through a Discord id and a wallet, never linked.
    await h.core.adjust(ctx(), { subject: credential("discord-id", "912345678901234567"), amount: 10 });
    await h.core.adjust(ctx(), {
      subject: credential("wallet", "0xAbCdEf0123456789aBcDeF0123456789AbCdEf01"),
      amount: 5,
    });
  }
  const PRIVATE = [
    "cy.secret@example.com",
    "dee@private.example",
    "912345678901234567",
    "0xabcdef0123456789abcdef0123456789abcdef01",
    "internal",
  ];
  const ranking = (text: string) =>
    [...text.matchAll(/<tr><td class="num">(\d+)<\/td><td>([^<]*)<\/td><td class="num">([^<]*)<\/td><\/tr>/g)].map(
      (m) => `${m[1]} ${m[2]} ${m[3]}`,
    );

  it("is off by default: 404, the same page as for a realm that does not exist, no cookie", async () => {
    await seedMembers();
    const anyone = new WebClient(h.url);
    const off = await anyone.get("/r/default");
    const unknown = await anyone.get("/r/no-such-realm");
    expect(off.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(off.text).toBe(unknown.text);
    expect(off.headers.get("cache-control")).toBe(unknown.headers.get("cache-control"));
    expect(off.text).toContain("There is no public leaderboard at this address.");
    expect(off.text).not.toContain("Ada");
    expect((await anyone.get("/r/default?period=year")).status).toBe(404);
    expect(anyone.lastSetCookie).toEqual([]);
    expect((await h.core.getRealm("default"))?.publicLeaderboard).toBe(false);
  });

  it("switched on in settings, shows names and amounts only, by period and currency; switched off, 404 again", async () => {
    await seedMembers();
    const web = await signedIn();
    const settings = await web.get("/dashboard/settings");
    expect(settings.text).toContain("The public page is <strong>off</strong>");
    expect(settings.text).not.toContain(`${PUBLIC_URL}/r/default`);
    const on = await web.post("/dashboard/settings/public-page", {
      _csrf: WebClient.csrf(settings.text),
      publicLeaderboard: "on",
    });
    expect(on.status).toBe(200);
    expect(on.text).toContain(`<a href="${PUBLIC_URL}/r/default" data-testid="public-url">${PUBLIC_URL}/r/default</a>`);
    expect((await h.core.getRealm("default"))?.publicLeaderboard).toBe(true);

    const anyone = new WebClient(h.url);
    const page = await anyone.get("/r/default");
    expect(page.status).toBe(200);
    expect(page.headers.get("cache-control")).toBe("public, max-age=30");
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(page.text).not.toMatch(/<script>|style="/);
    expect(anyone.lastSetCookie).toEqual([]);
    expect(ranking(page.text)).toEqual([
      "1 Ada 30 points",
      "2 A member 20 points",
      "3 A member 15 points",
      "4 A member 10 points",
      "5 A member 5 points",
    ]);
    for (const secret of PRIVATE) expect(page.text.toLowerCase()).not.toContain(secret);
    const accounts = await h.core.leaderboard("default", {});
    for (const holder of accounts.items) expect(page.text).not.toContain(holder.accountId);
    expect(page.text).not.toContain("/dashboard/members");

    // A period counts what was received in it; a second currency has its own board.
    const gems = await h.core.createCurrency("default", { name: "gems", emoji: "💎", scale: 1 });
    await h.core.adjust(ctx(), { subject: user("cy-internal-9"), amount: 2.5, currencyId: gems.id });
    const week = await anyone.get(`/r/default?period=week&currency=${gems.id}`);
    expect(week.text).toContain('<option value="week" selected>this week (received)</option>');
    // Core's clock is the real one: the week began on the last Monday, midnight UTC.
    const since = /Received since (\d{4}-\d{2}-\d{2}) 00:00 \(UTC\)\./.exec(week.text)?.[1];
    expect(new Date(`${since}T00:00:00Z`).getUTCDay()).toBe(1);
    expect(ranking(week.text)).toEqual(["1 A member 2.5 💎"]);
    const archived = await h.core.createCurrency("default", { name: "old" });
    await h.core.setCurrencyArchived("default", archived.id, true);
    expect((await anyone.get("/r/default?period=day")).text).not.toContain(">old</option>");
    const notThere = await anyone.get(`/r/default?currency=${archived.id}`);
    expect(notThere.status).toBe(404);
    expect(notThere.text).toContain("currency: this page has no such currency.");
    const badPeriod = await anyone.get("/r/default?period=year");
    expect(badPeriod.status).toBe(400);
    expect(badPeriod.text).toContain("period: use one of day, week, month, all.");

    const off = await web.post("/dashboard/settings/public-page", {
      _csrf: WebClient.csrf(on.text),
      publicLeaderboard: "off",
    });
    expect(off.text).toContain("The public page is off.");
    const gone = await anyone.get("/r/default");
    expect(gone.status).toBe(404);
    expect(gone.text).toBe((await anyone.get("/r/no-such-realm")).text);
  });

  it("reuses a board for 30 seconds, while switching off takes effect at once", async () => {
    // A time no other test used: boards cached by earlier tests of this file are not reused.
    clock = new Date("2026-03-09T08:00:00Z");
    await h.core.updateRealmSettings("default", { publicLeaderboard: true });
    await h.core.createUser(ctx(), { userId: "ada", name: "Ada" });
    await h.core.adjust(ctx(), { subject: user("ada"), amount: 3 });
    const anyone = new WebClient(h.url);
    expect(ranking((await anyone.get("/r/default")).text)).toEqual(["1 Ada 3 points"]);
    await h.core.adjust(ctx(), { subject: user("ada"), amount: 4 });
    clock = new Date(clock.getTime() + 29_000);
    expect(ranking((await anyone.get("/r/default")).text)).toEqual(["1 Ada 3 points"]);
    clock = new Date(clock.getTime() + 2_000);
    expect(ranking((await anyone.get("/r/default")).text)).toEqual(["1 Ada 7 points"]);
    await h.core.updateRealmSettings("default", { publicLeaderboard: false });
    expect((await anyone.get("/r/default")).status).toBe(404);
  });

  it("refuses the settings switch without CSRF or with a bad value, and a session of realm B cannot reach A's", async () => {
    const web = await signedIn();
    const settings = await web.get("/dashboard/settings");
    expect((await web.post("/dashboard/settings/public-page", { publicLeaderboard: "on" })).status).toBe(403);
    const bad = await web.post("/dashboard/settings/public-page", {
      _csrf: WebClient.csrf(settings.text),
      publicLeaderboard: "yes",
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("publicLeaderboard: send on or off.");
    expect((await h.core.getRealm("default"))?.publicLeaderboard).toBe(false);

    await h.core.createRealm({ id: "realm-b", name: "Realm B" });
    const { key } = await h.core.createApiKey("realm-b", { name: "b" });
    const b = await signedIn(key);
    const bSettings = await b.get("/dashboard/settings");
    await b.post("/dashboard/settings/public-page", { _csrf: WebClient.csrf(bSettings.text), publicLeaderboard: "on" });
    expect((await h.core.getRealm("realm-b"))?.publicLeaderboard).toBe(true);
    expect((await h.core.getRealm("default"))?.publicLeaderboard).toBe(false);
    expect((await new WebClient(h.url).get("/r/realm-b")).status).toBe(200);
    expect((await new WebClient(h.url).get("/r/default")).status).toBe(404);
  });

  it("is switched through PATCH /api/v1/realms/{realmId} too, with the time zone or alone", async () => {
    const on = await h.call("PATCH", "/api/v1/realms/default", { body: { publicLeaderboard: true } });
    expect(on).toMatchObject({
      status: 200,
      body: { id: "default", timezone: null, publicLeaderboard: true },
    });
    expect((await new WebClient(h.url).get("/r/default")).status).toBe(200);
    const both = await h.call("PATCH", "/api/v1/realms/default", {
      body: { timezone: "Europe/Berlin", publicLeaderboard: false },
    });
    expect(both.body).toMatchObject({ timezone: "Europe/Berlin", publicLeaderboard: false });
    const tzOnly = await h.call("PATCH", "/api/v1/realms/default", { body: { timezone: "UTC" } });
    expect(tzOnly.body).toMatchObject({ timezone: "UTC", publicLeaderboard: false });

    const before = await h.t.db.select().from(realms).where(eq(realms.id, "default"));
    for (const [body, message] of [
      [{}, "timezone or publicLeaderboard"],
      [{ publicLeaderboard: "yes" }, "publicLeaderboard"],
      [{ publicLeaderboard: true, colour: "red" }, "colour"],
      [{ publicLeaderboard: true, timezone: "Mars/Olympus" }, "timezone"],
    ] as const) {
      const bad = await h.call("PATCH", "/api/v1/realms/default", { body });
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(bad.body.message).toContain(message);
    }
    expect(await h.t.db.select().from(realms).where(eq(realms.id, "default"))).toEqual(before);
    const other = await h.call("PATCH", "/api/v1/realms/realm-b", { body: { publicLeaderboard: true } });
    expect(other.status).toBe(403);
  });
});
