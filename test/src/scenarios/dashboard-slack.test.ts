import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { people } from "../slack/fixtures.ts";
import { type SlackHarness, startSlackHarness } from "../slack/slack-harness.ts";
import { WebClient } from "../web-client.ts";

let s: SlackHarness;

beforeAll(async () => {
  // The links point at the harness's own server, known only once it listens.
  s = await startSlackHarness({ deps: { dashboard: {} }, app: (h) => ({ publicUrl: h.url }) });
});
afterAll(() => s?.close());
beforeEach(() => s.h.reset());

describe("/points dashboard in Slack, through Bolt", () => {
  it("sends a workspace admin a private one-time link that opens the dashboard on the give they just made", async () => {
    const give = await s.points(people.admin.id, `give <@${people.member.id}> 12 for the release notes`);
    expect(give.reply.response_type).toBe("in_channel");

    const asked = await s.points(people.admin.id, "dashboard");
    expect(asked.reply.response_type).toBe("ephemeral");
    const text = JSON.stringify(asked.reply.blocks);
    expect(text).not.toContain("tly_");
    const link = new RegExp(`${s.h.url}/dashboard/sign-in/[\\w-]+`).exec(text)?.[0] ?? "";
    expect(link).not.toBe("");

    const web = new WebClient(s.h.url);
    const path = link.slice(s.h.url.length);
    const landing = await web.get(path);
    expect(landing.status).toBe(200);
    const opened = await web.post(path, { _csrf: WebClient.csrf(landing.text) });
    expect(opened.status).toBe(303);
    const overview = await web.get("/dashboard");
    expect(overview.status).toBe(200);
    expect(overview.text).toContain("for the release notes");
    expect(overview.text).toContain(`Slack ${people.admin.id}`);

    const again = new WebClient(s.h.url);
    const reused = await again.get(path);
    const refused = await again.post(path, { _csrf: WebClient.csrf(reused.text) });
    expect(refused.text).toContain("This sign-in link has expired or was used already.");
  });

  it("refuses a member who is not a workspace admin, and makes no link", async () => {
    const asked = await s.points(people.member.id, "dashboard");
    expect(asked.reply.response_type).toBe("ephemeral");
    expect(JSON.stringify(asked.reply.blocks)).toContain("Only managers can do that");
    expect(JSON.stringify(asked.reply.blocks)).not.toContain("/dashboard/sign-in/");
  });
});
