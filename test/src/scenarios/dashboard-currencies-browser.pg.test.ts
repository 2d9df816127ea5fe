import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openBrowser, review as reviewPage } from "../browser.ts";
import { BOOTSTRAP_KEY, type Harness, startHarness } from "../harness.ts";

// One browser for the file: the currency edit and public pages in Chromium, on PostgreSQL only (their behaviour on
// both drivers is covered by dashboard-currencies.test.ts).
let h: Harness;
let browser: Browser;
let page: Page;
let cspErrors: string[];

const ctx = { realmId: "default", initiator: { type: "api_key" as const, id: "test" }, via: "api" as const };

beforeAll(async () => {
  h = await startHarness({ dashboard: {} });
  ({ browser, page, cspErrors } = await openBrowser());
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

const review = (name: string) => reviewPage(page, name);

describe("currencies and the public page in Chromium", () => {
  it("edits a currency's allowance, names a bad amount, archives it after a confirmation", async () => {
    const gems = await h.core.createCurrency("default", { name: "gems", emoji: "💎", scale: 2 });
    await page.goto(`${h.url}/dashboard/login`);
    await page.getByLabel("Realm API key").fill(BOOTSTRAP_KEY);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${h.url}/dashboard`);

    await page.goto(`${h.url}/dashboard/currencies`);
    await page.getByRole("link", { name: "Edit gems" }).click();
    await page.waitForURL(`${h.url}/dashboard/currencies/${gems.id}`);
    await review("currency-edit");

    await page.getByLabel("Allowance period").selectOption("week");
    await page.getByLabel(/^Allowance amount/).fill("1.255");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("alert").filter({ hasText: "allowance amount:" }).waitFor();
    await review("currency-edit-error");
    expect((await h.core.getCurrency("default", gems.id)).allowanceAmount).toBeNull();

    await page.getByLabel(/^Allowance amount/).fill("2.5");
    await page.getByLabel("Allow balances below zero (overdraft)").check();
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByText("Currency gems saved.").waitFor();
    expect(await h.core.getCurrency("default", gems.id)).toMatchObject({
      allowanceAmount: 250n,
      allowancePeriod: "week",
      allowNegative: true,
    });

    await page.getByRole("link", { name: "Archive gems…" }).click();
    await page.getByRole("button", { name: "Archive gems" }).waitFor();
    await review("currency-archive-confirm");
    await page.getByRole("button", { name: "Archive gems" }).click();
    await page.getByText("Currency gems is archived.").waitFor();
    expect((await h.core.getCurrency("default", gems.id)).archivedAt).toBeInstanceOf(Date);
    await review("currency-archived");
    expect(cspErrors).toEqual([]);
  });

  it("switches the public page on, shows it without a session and without private values, then off", async () => {
    await h.core.createUser(ctx, { userId: "ada", name: "Ada Lovelace" });
    await h.core.createUser(ctx, { userId: "grace", email: "grace.private@example.com" });
    await h.core.adjust(ctx, { subject: { kind: "user", userId: "ada" }, amount: 40 });
    await h.core.adjust(ctx, { subject: { kind: "user", userId: "grace" }, amount: 25 });

    await page.goto(`${h.url}/dashboard/settings`);
    await review("settings");
    await page.getByRole("button", { name: "Switch the public page on" }).click();
    const link = page.getByTestId("public-url");
    await link.waitFor();
    const address = (await link.textContent()) ?? "";
    expect(address).toBe(`${h.url}/r/default`);

    // A visitor without the dashboard's cookies.
    const visitor = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    expect(await visitor.context().cookies()).toEqual([]);
    visitor.on("console", (message) => {
      if (message.text().includes("Content Security Policy")) cspErrors.push(message.text());
    });
    await visitor.goto(address);
    await visitor.getByRole("cell", { name: "Ada Lovelace" }).waitFor();
    expect(await visitor.textContent("main")).not.toContain("grace");
    await reviewPage(visitor, "public-leaderboard");
    await visitor.getByLabel("Period", { exact: true }).selectOption("week");
    await visitor.getByRole("button", { name: "Show" }).click();
    await visitor.waitForURL(/period=week/);
    await visitor.getByRole("columnheader", { name: "Received" }).waitFor();
    await reviewPage(visitor, "public-leaderboard-week");

    await page.getByRole("button", { name: "Switch the public page off" }).click();
    await page.getByText("The public page is off.").waitFor();
    await visitor.close();
    // A new visitor: the first one's browser may keep its copy for the page's max-age (30 s).
    const later = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const next = await later.newPage();
    const gone = await next.goto(address);
    expect(gone?.status()).toBe(404);
    await reviewPage(next, "public-leaderboard-off");
    await later.close();
    expect(cspErrors).toEqual([]);
  });
});
