import { deliverDue } from "@tally/core";
import { webhookEndpoints } from "@tally/db";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openBrowser, review as reviewPage } from "../browser.ts";
import { BOOTSTRAP_KEY, type Harness, startHarness } from "../harness.ts";
import { type Receiver, startReceiver, until } from "../webhook-receiver.ts";

// The webhooks and bots pages in Chromium (PostgreSQL only: the browser is the slow part; dashboard-admin.test.ts
// covers both drivers over HTTP).
const GUILD = "840000000000000001";

let h: Harness;
let receiver: Receiver;
let browser: Browser;
let page: Page;
let cspErrors: string[];

beforeAll(async () => {
  h = await startHarness({ dashboard: {} });
  receiver = await startReceiver();
  ({ browser, page, cspErrors } = await openBrowser());
  await page.goto(`${h.url}/dashboard/login`);
  await page.getByLabel("Realm API key").fill(BOOTSTRAP_KEY);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${h.url}/dashboard`);
});
afterAll(async () => {
  await browser?.close();
  await receiver?.close();
  await h?.close();
});

const review = (name: string) => reviewPage(page, name);

describe("the admin pages in Chromium", () => {
  it("creates a webhook, copies its secret once, tests it, sees the delivery, redelivers it, and deletes it", async () => {
    await page.getByRole("link", { name: "Webhooks" }).click();
    await page.waitForURL(`${h.url}/dashboard/webhooks`);
    await page.getByText("This realm has no webhook endpoints yet.").waitFor();
    await review("webhooks-empty");

    await page.getByLabel("URL").fill(receiver.url);
    await page.getByLabel("Description (optional)").fill("shop sync");
    await page.getByLabel("balance.changed").check();
    await page.getByRole("button", { name: "Create endpoint" }).click();
    const secret = (await page.getByTestId("new-secret").textContent()) ?? "";
    expect(secret).toMatch(/^whsec_/);
    receiver.secrets.push(secret);
    await review("webhook-created");

    await page.getByRole("button", { name: "Send a test event" }).click();
    await page.getByText(/A webhook\.test event is queued as delivery #\d+\./).waitFor();
    await until(async () => {
      await deliverDue(h.t.db, { allowPrivate: true, backoffMs: 50, maxBackoffMs: 200 });
      return receiver.received.length === 1;
    }, "the test event");
    await page.getByRole("link", { name: "All endpoints" }).click();
    await page.getByRole("link", { name: receiver.url }).click();
    await page.getByRole("cell", { name: "HTTP 200" }).waitFor();
    expect(await page.content()).not.toContain(secret);
    await page.getByText("Change the URL, description or events").click();
    await page.getByRole("button", { name: "Save the endpoint" }).waitFor();
    await review("webhook-deliveries");

    await page.getByRole("button", { name: /^Redeliver delivery \d+$/ }).click();
    await page.getByText(/is queued again as #\d+, with the same webhook-id\./).waitFor();
    await until(async () => {
      await deliverDue(h.t.db, { allowPrivate: true, backoffMs: 50, maxBackoffMs: 200 });
      return receiver.received.length === 2;
    }, "the redelivery");
    expect(receiver.received[1]?.id).toBe(receiver.received[0]?.id);

    await page.goto(`${h.url}/dashboard/webhooks`);
    await review("webhooks");
    await page.getByRole("link", { name: receiver.url }).click();
    await page.getByRole("link", { name: "Delete…" }).click();
    await page.getByRole("button", { name: "Delete this endpoint" }).waitFor();
    await review("webhook-delete-confirm");
    await page.getByRole("button", { name: "Delete this endpoint" }).click();
    await page.getByText("The endpoint is deleted.").waitFor();
    expect(await h.t.db.select().from(webhookEndpoints)).toEqual([]);
    expect(cspErrors).toEqual([]);
  });

  it("shows how to bind, then the bound server and workspace, and saves manager roles and reaction rules", async () => {
    await page.getByRole("link", { name: "Bots" }).click();
    await page.waitForURL(`${h.url}/dashboard/bots`);
    await page.getByText("No Discord server or Slack workspace is bound to this realm.").waitFor();
    await review("bots-unbound");

    await h.core.bindBot({ platform: "discord", externalId: GUILD, realmId: "default", settings: { reactions: [] } });
    await h.core.bindBot({ platform: "slack", externalId: "T0TALLY", realmId: "default", settings: {} });
    await page.reload();
    const server = page.getByRole("region", { name: `Discord server ${GUILD}` });
    await server.getByLabel("Manager role ids").fill("940000000000000009");
    await server.getByLabel("Reaction rules").fill("🌮=1\nstar=5");
    await server.getByRole("button", { name: "Save server settings" }).click();
    await page.getByText(`Saved the settings of Discord server ${GUILD}.`).waitFor();
    expect((await h.core.bindingFor("discord", GUILD)).settings).toEqual({
      managerRoleIds: ["940000000000000009"],
      reactions: [
        { emoji: "🌮", amount: 1 },
        { emoji: "star", amount: 5 },
      ],
    });
    await review("bots");

    await server.getByLabel("Reaction rules").fill("🌮=lots");
    await server.getByRole("button", { name: "Save server settings" }).click();
    await page.getByRole("alert").getByText("reactions, line 1: the amount must be a positive number").waitFor();
    await review("bots-error");
    expect(cspErrors).toEqual([]);
  });
});
