import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { expect } from "vitest";

// Chromium from Debian's packages (`.ci/run` installs it); never a downloaded browser.
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** Where every browser test saves its screenshots, for a reviewer to look at. */
export const SHOTS = fileURLToPath(new URL("../../.tmp/screenshots/", import.meta.url));
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export interface BrowserPage {
  browser: Browser;
  page: Page;
  /** Content-Security-Policy complaints the page logged: a page that needs an inline script or style breaks. */
  cspErrors: string[];
}

/** One Chromium and one desktop-sized page, for a test file to reuse across its tests. */
export async function openBrowser(): Promise<BrowserPage> {
  mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const cspErrors: string[] = [];
  page.on("console", (message) => {
    if (message.text().includes("Content Security Policy")) cspErrors.push(message.text());
  });
  return { browser, page, cspErrors };
}

/** Runs axe in the page and returns the serious and critical violations, by rule and target. */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  // Strings run in the page, where `document` and the injected `axe` live (this file is type-checked without DOM types).
  const violations = (await page.evaluate(
    `axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations)`,
  )) as { id: string; impact: string; nodes: { target: string[] }[] }[];
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** Checks a page as a reviewer would: accessible, usable at 375 px, and saved as a screenshot at both widths. */
export async function review(page: Page, name: string): Promise<void> {
  expect(await seriousViolations(page), name).toEqual([]);
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
  await page.setViewportSize({ width: 375, height: 800 });
  // Charts redraw to the new width.
  await expect
    .poll(() =>
      page.evaluate(`Math.max(0, ...[...document.querySelectorAll(".chart canvas")].map((c) => c.clientWidth))`),
    )
    .toBeLessThanOrEqual(375);
  const overflow = await page.evaluate("document.documentElement.scrollWidth");
  expect(overflow, `${name} at 375 px`).toBeLessThanOrEqual(375);
  await page.screenshot({ path: `${SHOTS}${name}-375.png`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
}
