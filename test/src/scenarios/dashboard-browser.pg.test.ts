import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openBrowser, review as reviewPage } from "../browser.ts";
import { discordSubject, type GatewayFixture, startGatewayFixture } from "../discord/gateway-fixture.ts";
import { MANAGE_GUILD, type MemberFixture, pointsInteraction } from "../discord/interactions.ts";
import { BOOTSTRAP_KEY, type Harness, startHarness } from "../harness.ts";

// One browser for the file, pages reused: this suite runs on PostgreSQL only, because a real browser is the slow
// part and the database behaviour under it is covered on both drivers by dashboard-sessions.test.ts.
const mod: MemberFixture = { id: "940000000000000001", username: "mod", permissions: MANAGE_GUILD | (1n << 11n) };
const ada: MemberFixture = { id: "940000000000000002", username: "ada" };
const EPHEMERAL = 64;

let h: Harness;
let bot: GatewayFixture;
let browser: Browser;
let page: Page;
let cspErrors: string[];

beforeAll(async () => {
  h = await startHarness({ dashboard: {} });
  bot = await startGatewayFixture(h.core, { publicUrl: h.url });
  ({ browser, page, cspErrors } = await openBrowser());
});
afterAll(async () => {
  await browser?.close();
  await bot?.stop();
  await h?.close();
});

type Embed = { title: string; description?: string };
const embedOf = (callback: { body: { data: { embeds: Embed[]; flags?: number } } }) =>
  callback.body.data.embeds[0] ?? { title: "" };

const review = (name: string) => reviewPage(page, name);

describe("the dashboard in Chromium", () => {
  it("a Discord manager asks for a link, opens it, sees their give, reverses it, and Discord shows the new balance", async () => {
    const give = await bot.send(pointsInteraction(mod, "give", { user: ada, amount: 25, reason: "fixed the docs" }));
    expect(embedOf(give).title).toBe("Points given");

    const asked = await bot.send(pointsInteraction(mod, "dashboard"));
    expect(asked.body.data.flags).toBe(EPHEMERAL);
    const link = /https?:\/\/\S+\/dashboard\/sign-in\/[\w-]+/.exec(embedOf(asked).description ?? "")?.[0];
    expect(link?.startsWith(`${h.url}/dashboard/sign-in/`)).toBe(true);

    await page.goto(link ?? "");
    await review("sign-in-link");
    await page.getByRole("button", { name: "Open the dashboard" }).click();
    await page.waitForURL(`${h.url}/dashboard`);
    const recent = page.locator("section", { has: page.getByRole("heading", { name: "Recent activity" }) });
    await expect.poll(() => recent.textContent()).toContain("fixed the docs");
    expect(await recent.textContent()).toContain("+25 points");
    await page.locator(".chart canvas").first().waitFor();
    // Today's bar (the give) is drawn whole, not cut in half by the plot's right edge.
    const bar = (await page.evaluate(`(() => {
      const canvas = document.querySelector(".chart canvas");
      const { data, width, height } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
      let first = -1, last = -1;
      for (let x = 0; x < width; x++) {
        let blue = 0;
        for (let y = 0; y < height; y++) {
          const i = (y * width + x) * 4;
          if (data[i + 3] > 0 && Math.abs(data[i] - 29) + Math.abs(data[i + 1] - 78) + Math.abs(data[i + 2] - 216) < 30) blue++;
        }
        // Empty days draw only the baseline: a bar's columns are tall.
        if (blue > 20) { if (first < 0) first = x; last = x; }
      }
      return { first, last, width };
    })()`)) as { first: number; last: number; width: number };
    // 30 days and half a day each side across the plot (the canvas less the 60 px y axis); bars fill 0.6 of a day.
    const fullBar = (0.6 * (bar.width - 60)) / 31;
    expect(bar.last - bar.first + 1, JSON.stringify(bar)).toBeGreaterThan(0.8 * fullBar);
    await review("overview");

    await recent
      .getByRole("link", { name: /^Reverse entry/ })
      .first()
      .click();
    await page.getByRole("button", { name: /^Reverse entry #/ }).waitFor();
    await review("reverse-confirm");
    await page.getByLabel("Reason (optional)").fill("given by mistake");
    await page.getByRole("button", { name: /^Reverse entry #/ }).click();
    await page.getByText(/is undone by #\d+\. New balance: 0 points\./).waitFor();

    const balance = await bot.send(pointsInteraction(mod, "balance", { user: ada }));
    expect(embedOf(balance).description).toBe(`<@${ada.id}> has **0 points**.`);
    expect((await h.core.balanceOf("default", discordSubject(ada.id))).balance).toBe(0n);
    const [reversal] = (await h.core.history("default", { limit: 1 })).items;
    expect(reversal).toMatchObject({
      kind: "reversal",
      via: "dashboard",
      initiatorType: "discord",
      initiatorId: mod.id,
    });

    // The same link again: used up.
    await page.goto(link ?? "");
    await page.getByRole("button", { name: "Open the dashboard" }).click();
    await page.getByText("This sign-in link has expired or was used already.").waitFor();
    await review("sign-in-link-used");
  });

  it("signs in with an API key and shows every page accessibly at desktop and 375 px, with little JavaScript", async () => {
    await page.context().clearCookies();
    await page.goto(`${h.url}/dashboard`);
    await page.waitForURL(`${h.url}/dashboard/login`);
    await review("login");
    await page.getByLabel("Realm API key").fill(BOOTSTRAP_KEY);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${h.url}/dashboard`);

    const scripts = await page.evaluate(
      `performance.getEntriesByType("resource").filter((e) => e.initiatorType === "script")
        .reduce((sum, e) => sum + e.decodedBodySize, 0)`,
    );
    expect(scripts).toBeGreaterThan(0);
    expect(scripts).toBeLessThan(100 * 1024);

    const member = await h.core.balanceOf("default", discordSubject(ada.id));
    for (const [name, path] of [
      ["leaderboard", "/dashboard/leaderboard"],
      ["ledger", "/dashboard/ledger"],
      ["ledger-filtered", "/dashboard/ledger?kind=reversal"],
      ["member", `/dashboard/members/${member.accountId}`],
      ["currencies", "/dashboard/currencies"],
      ["api-keys", "/dashboard/keys"],
    ] as const) {
      const answer = await page.goto(`${h.url}${path}`);
      expect(answer?.status(), name).toBe(200);
      if (name === "member") await page.locator(".chart canvas").waitFor();
      await review(name);
    }
    expect(cspErrors).toEqual([]);

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${h.url}/dashboard/login`);
    await page.goto(`${h.url}/dashboard/keys`);
    await page.waitForURL(`${h.url}/dashboard/login`);
  });
});
