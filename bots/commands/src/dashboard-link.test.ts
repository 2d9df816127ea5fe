import { useTestCore } from "@tally/core/testing";
import { dashboardLinks } from "@tally/db";
import { describe, expect, it } from "vitest";
import type { Invocation } from "./contract.ts";
import { parsePointsText } from "./parse-text.ts";
import { runPointsCommand } from "./run-points-command.ts";

const world = useTestCore({ apiKey: "tly_dashboard_link_test_key" });

const run = (options: { manager?: boolean; publicUrl?: string; platform?: "discord" | "slack" } = {}) => {
  const inv: Invocation = {
    platform: options.platform ?? "discord",
    realmId: "default",
    invoker: { id: "200000000000000001", isManager: options.manager ?? true },
    idempotencyKey: `discord:dashboard-${Math.random()}`,
    command: { name: "dashboard" },
    publicUrl: options.publicUrl,
  };
  return runPointsCommand(world.core, inv);
};

describe("/points dashboard", () => {
  it("parses from Slack text, refusing extra words", () => {
    expect(parsePointsText("dashboard")).toEqual({ name: "dashboard" });
    expect(parsePointsText("dashboard now")).toEqual({ error: "`/points dashboard` takes nothing after it." });
  });

  it("sends a manager a private one-time link under TALLY_PUBLIC_URL that signs in to the realm as them", async () => {
    const reply = await run({ publicUrl: "https://tally.example.org/", platform: "slack" });
    expect(reply).toMatchObject({ visibility: "ephemeral", kind: "info", title: "Your dashboard link" });
    const url = reply.lines[0] ?? "";
    expect(url).toMatch(/^https:\/\/tally\.example\.org\/dashboard\/sign-in\/[\w-]{43}$/);
    expect(reply.lines[1]).toContain("within 10 minutes");
    const token = url.split("/").at(-1) ?? "";
    expect(await world.core.dashboard.redeemSignInLink(token)).toEqual({
      realmId: "default",
      method: "slack",
      subjectId: "200000000000000001",
    });
    expect(await world.core.dashboard.redeemSignInLink(token)).toBeUndefined();
  });

  it("refuses members who are not managers, and says how to turn the dashboard on when it has no address", async () => {
    const refused = await run({ manager: false, publicUrl: "http://127.0.0.1:3000" });
    expect(refused).toMatchObject({ visibility: "ephemeral", kind: "error", title: "Only managers can do that" });
    const off = await run({});
    expect(off).toMatchObject({ visibility: "ephemeral", title: "The dashboard is not served here" });
    expect(off.lines.join(" ")).toContain("TALLY_PUBLIC_URL");
    expect(await world.core.db.select().from(dashboardLinks)).toHaveLength(0);
  });
});
