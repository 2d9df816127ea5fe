import { buildApp } from "@tally/api";
import { deliverDue, listDeliveries, listWebhooks, type WebhookWorkerOptions } from "@tally/core";
import { queryRows, webhookEndpoints } from "@tally/db";
import { eq, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { discordSubject, startGatewayFixture } from "../discord/gateway-fixture.ts";
import { GUILD_ID, pointsInteraction } from "../discord/interactions.ts";
import { BOOTSTRAP_KEY, type Harness, startHarness } from "../harness.ts";
import { WebClient } from "../web-client.ts";
import { type Receiver, startReceiver, until } from "../webhook-receiver.ts";

let h: Harness;
let receiver: Receiver;
beforeAll(async () => {
  h = await startHarness({ dashboard: {} });
});
afterAll(() => h?.close());
beforeEach(async () => {
  await h.reset();
  receiver = await startReceiver();
});
afterEach(() => receiver.close());

const GUILD = "830000000000000001";
const fast: WebhookWorkerOptions = { allowPrivate: true, backoffMs: 50, maxBackoffMs: 200 };
const deliverUntil = (done: () => boolean, what: string) =>
  until(async () => {
    await deliverDue(h.t.db, fast);
    return done();
  }, what);

const count = async (table: string) =>
  Number((await queryRows<{ n: string }>(h.t.db, sql.raw(`SELECT count(*)::text AS n FROM ${table}`)))[0]?.n);

async function signedIn(key = BOOTSTRAP_KEY, base = h.url): Promise<WebClient> {
  const web = new WebClient(base);
  await web.logIn(key);
  return web;
}

/** A second realm with its own key, signed in: the cross-realm caller. */
async function otherRealm(): Promise<WebClient> {
  await h.core.createRealm({ id: "other", name: "Other" });
  const { key } = await h.core.createApiKey("other", { name: "other" });
  return signedIn(key);
}

/** Creates an endpoint through the page; answers its id and the secret shown that once. */
async function createThroughPage(web: WebClient, form: Record<string, string> = {}) {
  const list = await web.get("/dashboard/webhooks");
  const created = await web.post("/dashboard/webhooks", {
    _csrf: WebClient.csrf(list.text),
    url: receiver.url,
    ...form,
  });
  expect(created.status, created.text.slice(0, 500)).toBe(201);
  const secret = /data-testid="new-secret">(whsec_[^<]+)</.exec(created.text)?.[1] ?? "";
  const id = /action="\/dashboard\/webhooks\/([^/"]+)\/test"/.exec(created.text)?.[1] ?? "";
  expect(secret).toMatch(/^whsec_/);
  receiver.secrets.push(secret);
  return { id, secret, page: created.text };
}

describe("dashboard webhooks page", () => {
  it("creates an endpoint with chosen events, shows its secret once on the answer, and never again", async () => {
    const web = await signedIn();
    const empty = await web.get("/dashboard/webhooks");
    expect(empty.status).toBe(200);
    expect(empty.text).toContain("This realm has no webhook endpoints yet.");
    expect(empty.text).toMatch(/<a href="\/dashboard\/webhooks"[^>]*>Webhooks<\/a>/);
    expect(empty.text).toContain('<label for="w-url">URL</label>');
    const created = await web.post("/dashboard/webhooks", [
      ["_csrf", WebClient.csrf(empty.text)],
      ["url", receiver.url],
      ["description", "shop sync"],
      ["events", "balance.changed"],
      ["events", "credential.linked"],
    ]);
    expect(created.status).toBe(201);
    expect(created.text).toContain("it is shown only this once");
    const [stored] = await listWebhooks(h.t.db, "default");
    expect(stored).toMatchObject({
      url: receiver.url,
      description: "shop sync",
      events: ["balance.changed", "credential.linked"],
    });
    expect(created.text).toContain(stored?.secret);

    const list = await web.get("/dashboard/webhooks");
    const one = await web.get(`/dashboard/webhooks/${stored?.id}`);
    for (const text of [list.text, one.text]) {
      expect(text).not.toContain(stored?.secret);
      expect(text).not.toContain("whsec_");
    }
    expect(list.text).toContain(receiver.url);
    expect(list.text).toContain("balance.changed, credential.linked");
    expect(one.text).toContain("shop sync");
  });

  it("sends a test event, shows the delivery in the realm's time zone, redelivers it with the same webhook-id, and pages", async () => {
    await h.core.setRealmTimezone("default", "Asia/Tokyo");
    const web = await signedIn();
    const { id, page } = await createThroughPage(web);
    const tested = await web.post(`/dashboard/webhooks/${id}/test`, { _csrf: WebClient.csrf(page) });
    expect(tested.status).toBe(202);
    expect(tested.text).toMatch(/A webhook\.test event is queued as delivery #\d+\./);
    await deliverUntil(() => receiver.received.length === 1, "the test event");
    expect(receiver.received[0]?.body.type).toBe("webhook.test");

    const shown = await web.get(`/dashboard/webhooks/${id}`);
    const [delivery] = (await listDeliveries(h.t.db, "default", id)).items;
    expect(delivery?.lastAttemptAt).toBeTruthy();
    expect(shown.text).toContain("Last attempt (Asia/Tokyo)");
    // Tokyo is UTC+9 all year.
    const tokyo = new Date((delivery?.lastAttemptAt?.getTime() ?? 0) + 9 * 3600_000).toISOString();
    expect(shown.text).toContain(`${tokyo.slice(0, 10)} ${tokyo.slice(11, 16)}`);
    expect(shown.text).toMatch(/<td>succeeded<\/td><td class="num">1<\/td><td>HTTP 200<\/td>/);

    const again = await web.post(`/dashboard/webhooks/${id}/deliveries/${delivery?.id}/redeliver`, {
      _csrf: WebClient.csrf(shown.text),
    });
    expect(again.status).toBe(202);
    expect(again.text).toContain(`Delivery #${delivery?.id} is queued again`);
    await deliverUntil(() => receiver.received.length === 2, "the redelivery");
    expect(receiver.received[1]?.id).toBe(receiver.received[0]?.id);
    expect(receiver.rejected).toBe(0);

    // 52 deliveries: the newest 50, then the rest behind an "Older deliveries" link.
    for (let i = 0; i < 50; i++)
      await web.post(`/dashboard/webhooks/${id}/test`, { _csrf: WebClient.csrf(again.text) });
    const first = await web.get(`/dashboard/webhooks/${id}`);
    expect(first.text.match(/>Redeliver</g)).toHaveLength(50);
    const older = /href="(\/dashboard\/webhooks\/[^"?]+\?cursor=\d+)">Older deliveries/.exec(first.text)?.[1];
    expect(older).toBeTruthy();
    const second = await web.get((older ?? "").replaceAll("&amp;", "&"));
    expect(second.status).toBe(200);
    expect(second.text.match(/>Redeliver</g)).toHaveLength(2);
    expect(second.text).not.toContain("Older deliveries");
    expect(second.text).toContain(`>${delivery?.id}</td>`);
  });

  it("disables and enables an endpoint, rotates its secret (shown once), and deletes it only after the confirmation", async () => {
    const web = await signedIn();
    const { id, secret, page } = await createThroughPage(web);
    const csrf = WebClient.csrf(page);
    const endpoint = async () => (await h.t.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)))[0];

    const off = await web.post(`/dashboard/webhooks/${id}/disable`, { _csrf: csrf });
    expect(off.status).toBe(200);
    expect(off.text).toContain("disabled: disabled by an operator");
    expect(await endpoint()).toMatchObject({ enabled: false });
    const on = await web.post(`/dashboard/webhooks/${id}/enable`, { _csrf: csrf });
    expect(on.text).toContain("<dd>enabled</dd>");
    expect(await endpoint()).toMatchObject({ enabled: true, disabledReason: null });

    const rotated = await web.post(`/dashboard/webhooks/${id}/rotate-secret`, { _csrf: csrf });
    expect(rotated.status).toBe(200);
    const fresh = /data-testid="new-secret">(whsec_[^<]+)</.exec(rotated.text)?.[1];
    expect(fresh).toMatch(/^whsec_/);
    expect(fresh).not.toBe(secret);
    expect(await endpoint()).toMatchObject({ secret: fresh, previousSecret: secret });
    expect((await web.get(`/dashboard/webhooks/${id}`)).text).not.toContain("whsec_");

    const confirm = await web.get(`/dashboard/webhooks/${id}/delete`);
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain("Delete this endpoint");
    expect(await count("webhook_endpoints")).toBe(1);
    const deleted = await web.post(`/dashboard/webhooks/${id}/delete`, { _csrf: WebClient.csrf(confirm.text) });
    expect(deleted.status).toBe(200);
    expect(deleted.text).toContain("The endpoint is deleted.");
    expect(await count("webhook_endpoints")).toBe(0);
    expect((await web.get(`/dashboard/webhooks/${id}`)).status).toBe(404);
  });

  it("changes an endpoint's URL, description and events, and refuses a bad URL there with 400, changing nothing", async () => {
    const web = await signedIn();
    const { id, page } = await createThroughPage(web, { description: "first" });
    const edited = await web.post(`/dashboard/webhooks/${id}`, [
      ["_csrf", WebClient.csrf(page)],
      ["url", `${receiver.url}?v=2`],
      ["description", "second"],
      ["events", "balance.changed"],
      ["events", "credential.linked"],
    ]);
    expect(edited.status).toBe(200);
    expect(edited.text).toContain("Endpoint saved.");
    const [saved] = await listWebhooks(h.t.db, "default");
    expect(saved).toMatchObject({
      url: `${receiver.url}?v=2`,
      description: "second",
      events: ["balance.changed", "credential.linked"],
    });
    const refused = await web.post(`/dashboard/webhooks/${id}`, {
      _csrf: WebClient.csrf(edited.text),
      url: "ftp://example.com/x",
      description: "third",
    });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain("url: must use http:// or https://");
    expect(refused.text).toContain('value="ftp://example.com/x"');
    expect(refused.text).toContain("<details open>");
    expect(await listWebhooks(h.t.db, "default")).toEqual([saved]);
  });

  it.each([
    ["url: enter the address", { url: "" }],
    ["url: must use http:// or https://", { url: "ftp://example.com/x" }],
    ["url: must be an absolute", { url: "not a url" }],
    ["url: must not contain a user name", { url: "https://user:pw@example.com/" }],
    ["url: at most 2048 characters", { url: `https://example.com/${"a".repeat(2030)}` }],
    ["description: at most 500 characters", { url: "https://example.com/", description: "d".repeat(501) }],
    ['events: unknown event type "balance.exploded"', { url: "https://example.com/", events: "balance.exploded" }],
  ])(
    "refuses a new endpoint with 400 and the message %s, keeping what was typed and creating nothing",
    async (message, form) => {
      const web = await signedIn();
      const list = await web.get("/dashboard/webhooks");
      const answer = await web.post("/dashboard/webhooks", { _csrf: WebClient.csrf(list.text), ...form });
      expect(answer.status).toBe(400);
      expect(answer.text).toContain('role="alert"');
      expect(answer.text).toContain(message.replaceAll('"', "&quot;"));
      if (form.url && form.url.length < 100)
        expect(answer.text).toContain(`value="${form.url.replaceAll("&", "&amp;")}"`);
      expect(await count("webhook_endpoints")).toBe(0);
    },
  );

  it("refuses a delivery cursor that is not one, and an unknown delivery, changing nothing", async () => {
    const web = await signedIn();
    const { id, page } = await createThroughPage(web);
    expect((await web.get(`/dashboard/webhooks/${id}?cursor=abc`)).status).toBe(400);
    const unknown = await web.post(`/dashboard/webhooks/${id}/deliveries/999999/redeliver`, {
      _csrf: WebClient.csrf(page),
    });
    expect(unknown.status).toBe(404);
    expect(await count("webhook_deliveries")).toBe(0);
  });

  it("checks webhook URLs with the same private-address rule as the API (TALLY_WEBHOOK_ALLOW_PRIVATE)", async () => {
    const strict = await buildApp({ core: h.core, dashboard: {}, webhookAllowPrivate: false });
    const strictUrl = await strict.listen({ host: "127.0.0.1", port: 0 });
    try {
      const web = await signedIn(BOOTSTRAP_KEY, strictUrl);
      const list = await web.get("/dashboard/webhooks");
      const refused = await web.post("/dashboard/webhooks", { _csrf: WebClient.csrf(list.text), url: receiver.url });
      expect(refused.status).toBe(400);
      expect(refused.text).toMatch(/url: [^<]*private/);
      const api = await fetch(`${strictUrl}/api/v1/realms/default/webhooks`, {
        method: "POST",
        headers: { authorization: `Bearer ${BOOTSTRAP_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ url: receiver.url }),
      });
      expect(api.status).toBe(400);
      expect(await count("webhook_endpoints")).toBe(0);
      // The default (allowed, as in TALLY_WEBHOOK_ALLOW_PRIVATE=true) takes the same loopback receiver.
      await createThroughPage(await signedIn());
      expect(await count("webhook_endpoints")).toBe(1);
    } finally {
      await strict.close();
    }
  });

  it("refuses every webhook form without its CSRF token, changing nothing", async () => {
    const web = await signedIn();
    const { id } = await createThroughPage(web);
    for (const path of ["/dashboard/webhooks", `/dashboard/webhooks/${id}/delete`, `/dashboard/webhooks/${id}/test`]) {
      const answer = await web.post(path, { url: "https://example.com/" });
      expect(answer.status, path).toBe(403);
    }
    expect(await count("webhook_endpoints")).toBe(1);
    expect(await count("webhook_deliveries")).toBe(0);
  });

  it("never shows or changes realm A's endpoints or deliveries to a session for realm B (404, nothing changes)", async () => {
    const web = await signedIn();
    const { id, page } = await createThroughPage(web, { description: "realm A's" });
    await web.post(`/dashboard/webhooks/${id}/test`, { _csrf: WebClient.csrf(page) });
    const [delivery] = (await listDeliveries(h.t.db, "default", id)).items;
    const before = await h.t.db.select().from(webhookEndpoints);

    const b = await otherRealm();
    const own = await b.get("/dashboard/webhooks");
    expect(own.text).not.toContain(receiver.url);
    expect(own.text).not.toContain("realm A&#39;s");
    const csrf = WebClient.csrf(own.text);
    for (const path of [`/dashboard/webhooks/${id}`, `/dashboard/webhooks/${id}/delete`]) {
      expect((await b.get(path)).status, path).toBe(404);
    }
    for (const action of [
      "enable",
      "disable",
      "test",
      "rotate-secret",
      "delete",
      `deliveries/${delivery?.id}/redeliver`,
    ]) {
      const answer = await b.post(`/dashboard/webhooks/${id}/${action}`, { _csrf: csrf });
      expect(answer.status, action).toBe(404);
      expect(answer.text).not.toContain("whsec_");
    }
    const edit = await b.post(`/dashboard/webhooks/${id}`, {
      _csrf: csrf,
      url: "https://example.com/b",
      description: "",
    });
    expect(edit.status).toBe(404);
    expect(await h.t.db.select().from(webhookEndpoints)).toEqual(before);
    expect(await count("webhook_deliveries")).toBe(1);
  });
});

describe("dashboard bots page", () => {
  const bind = () =>
    Promise.all([
      h.core.bindBot({
        platform: "discord",
        externalId: GUILD,
        realmId: "default",
        settings: { managerRoleIds: ["900000000000000001"], reactions: [{ emoji: "🌮", amount: 1 }] },
      }),
      h.core.bindBot({
        platform: "slack",
        externalId: "T0TALLY",
        realmId: "default",
        settings: { managerUserIds: ["U0BOSS"] },
      }),
    ]);

  it("makes a role named on the page a manager role in Discord at once (a real gateway bot)", async () => {
    const bot = await startGatewayFixture(h.core);
    try {
      await h.core.bindBot({ platform: "discord", externalId: GUILD_ID, realmId: "default", settings: {} });
      const role = "930000000000000777";
      const helper = { id: "930000000000000001", username: "helper", roles: [role] };
      const ada = { id: "930000000000000002", username: "ada" };
      const give = () => bot.send(pointsInteraction(helper, "give", { user: ada, amount: 5 }));
      type Embed = { title: string };
      const title = (answer: { body: { data: { embeds: Embed[] } } }) => answer.body.data.embeds[0]?.title;
      expect(title(await give())).toBe("Only managers can do that");

      const web = await signedIn();
      const shown = await web.get("/dashboard/bots");
      const saved = await web.post(`/dashboard/bots/discord/${GUILD_ID}`, {
        _csrf: WebClient.csrf(shown.text),
        managers: role,
        reactions: "",
      });
      expect(saved.status).toBe(200);
      expect(title(await give())).toBe("Points given");
      expect((await h.core.balanceOf("default", discordSubject(ada.id))).balance).toBe(5n);
    } finally {
      await bot.stop();
    }
  });

  it("says how to bind when nothing is bound to the realm", async () => {
    const web = await signedIn();
    const answer = await web.get("/dashboard/bots");
    expect(answer.status).toBe(200);
    expect(answer.text).toMatch(/<a href="\/dashboard\/bots"[^>]*>Bots<\/a>/);
    expect(answer.text).toContain("pnpm tally bind discord --guild &lt;server id&gt; --realm default");
  });

  it("lists the realm's server and workspace with their managers and reaction rules, and saves edits in place", async () => {
    await bind();
    const web = await signedIn();
    const shown = await web.get("/dashboard/bots");
    expect(shown.text).toContain(`Discord server ${GUILD}`);
    expect(shown.text).toContain("Slack workspace T0TALLY");
    expect(shown.text).toContain('value="900000000000000001"');
    expect(shown.text).toContain('value="U0BOSS"');
    expect(shown.text).toMatch(/<textarea id="discord-830000000000000001-reactions"[^>]*>🌮=1<\/textarea>/);
    expect(shown.text).toContain(`<label for="discord-${GUILD}-managers">Manager role ids</label>`);

    const points = await h.core.currency("default");
    const saved = await web.post(`/dashboard/bots/discord/${GUILD}`, {
      _csrf: WebClient.csrf(shown.text),
      managers: "900000000000000002, 900000000000000003",
      reactions: "🌮=2\n\n:star: = 5 points\n",
      realmId: "other",
    });
    expect(saved.status).toBe(200);
    expect(saved.text).toContain(`Saved the settings of Discord server ${GUILD}.`);
    expect(await h.core.bindingFor("discord", GUILD)).toMatchObject({
      realmId: "default",
      settings: {
        managerRoleIds: ["900000000000000002", "900000000000000003"],
        reactions: [
          { emoji: "🌮", amount: 2 },
          { emoji: "star", amount: 5, currencyId: points.id },
        ],
      },
    });
    const slack = await web.post("/dashboard/bots/slack/T0TALLY", {
      _csrf: WebClient.csrf(saved.text),
      managers: "U0BOSS U0HELPER",
      reactions: "taco=1",
    });
    expect(slack.status).toBe(200);
    expect((await h.core.bindingFor("slack", "T0TALLY")).settings).toEqual({
      managerUserIds: ["U0BOSS", "U0HELPER"],
      reactions: [{ emoji: "taco", amount: 1 }],
    });
  });

  it.each([
    [{ managers: "not-a-role" }, "Manager role ids: &quot;not-a-role&quot; is not a Discord role id"],
    [{ reactions: "🌮" }, "reactions, line 1: write emoji=amount"],
    [{ reactions: "🌮=0" }, "reactions, line 1: the amount must be a positive number"],
    [{ reactions: "🌮=1\n\ntwo words=1" }, "reactions, line 3: emoji must be one emoji name"],
    [{ reactions: "a=1\na=2" }, "reactions, line 2: emoji &quot;a&quot; is listed twice"],
    [{ reactions: "a=1 gold" }, "reactions, line 1: this realm has no currency &quot;gold&quot;"],
  ])(
    "refuses bot settings %j with 400 naming the field, keeps what was typed, and changes nothing",
    async (form, message) => {
      await bind();
      const before = await h.core.listBindings();
      const web = await signedIn();
      const shown = await web.get("/dashboard/bots");
      const answer = await web.post(`/dashboard/bots/discord/${GUILD}`, {
        _csrf: WebClient.csrf(shown.text),
        managers: "900000000000000001",
        reactions: "",
        ...form,
      });
      expect(answer.status).toBe(400);
      expect(answer.text).toContain(message);
      expect(answer.text).toContain('role="alert"');
      // What was typed comes back in the form, to correct rather than retype.
      if ("managers" in form) expect(answer.text).toContain(`value="${form.managers}"`);
      else expect(answer.text).toContain(`>${form.reactions.replaceAll('"', "&quot;")}</textarea>`);
      expect(await h.core.listBindings()).toEqual(before);
    },
  );

  it("refuses the form without its CSRF token, changing nothing", async () => {
    await bind();
    const before = await h.core.listBindings();
    const web = await signedIn();
    const answer = await web.post(`/dashboard/bots/discord/${GUILD}`, { managers: "1", reactions: "" });
    expect(answer.status).toBe(403);
    expect(await h.core.listBindings()).toEqual(before);
  });

  it("never shows or edits realm A's bindings to realm B, and never binds an unbound server (404, nothing changes)", async () => {
    await bind();
    const before = await h.core.listBindings();
    const b = await otherRealm();
    const own = await b.get("/dashboard/bots");
    expect(own.text).not.toContain(GUILD);
    expect(own.text).not.toContain("T0TALLY");
    expect(own.text).toContain("--realm other");
    for (const path of [
      `/dashboard/bots/discord/${GUILD}`,
      "/dashboard/bots/slack/T0TALLY",
      "/dashboard/bots/discord/830000000000000099",
    ]) {
      const answer = await b.post(path, {
        _csrf: WebClient.csrf(own.text),
        managers: "not valid",
        reactions: "🌮=100",
      });
      expect(answer.status, path).toBe(404);
    }
    // The bootstrap realm (which unbound servers fall back to) cannot claim an unbound server either.
    const a = await signedIn();
    const unbound = await a.post("/dashboard/bots/discord/830000000000000099", {
      _csrf: WebClient.csrf((await a.get("/dashboard/bots")).text),
      managers: "1",
      reactions: "🌮=1",
    });
    expect(unbound.status).toBe(404);
    expect(await h.core.listBindings()).toEqual(before);
  });
});
