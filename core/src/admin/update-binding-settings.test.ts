import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { BINDING_CHANGED_CHANNEL } from "../balance-service.ts";
import { useTestCore } from "../testing.ts";

const world = useTestCore();
const GUILD = "810000000000000001";

async function twoRealms() {
  await world.core.createRealm({ id: "other", name: "Other" });
  await world.core.bindBot({
    platform: "discord",
    externalId: GUILD,
    realmId: "default",
    settings: { managerRoleIds: ["1"], reactions: [{ emoji: "🌮", amount: 1 }] },
  });
  await world.core.bindBot({ platform: "slack", externalId: "T0OTHER", realmId: "other" });
}

describe("bindings of one realm", () => {
  it("lists only the realm's own guilds and teams", async () => {
    await twoRealms();
    expect((await world.core.listRealmBindings("default")).map((b) => b.externalId)).toEqual([GUILD]);
    expect((await world.core.listRealmBindings("other")).map((b) => b.externalId)).toEqual(["T0OTHER"]);
  });

  it("sets managers and reaction rules in place, keeping the other settings and the realm", async () => {
    await twoRealms();
    const managers = await world.core.updateBindingSettings("default", {
      platform: "discord",
      externalId: GUILD,
      managerRoleIds: ["900000000000000001", "900000000000000001", "900000000000000002"],
    });
    expect(managers).toMatchObject({
      realmId: "default",
      settings: {
        managerRoleIds: ["900000000000000001", "900000000000000002"],
        reactions: [{ emoji: "🌮", amount: 1 }],
      },
    });
    const cur = await world.core.currency("default");
    const rules = await world.core.updateBindingSettings("default", {
      platform: "discord",
      externalId: GUILD,
      reactions: [{ emoji: " :star: ", amount: 2, currencyId: cur.id }],
    });
    expect(rules.settings).toEqual({
      managerRoleIds: ["900000000000000001", "900000000000000002"],
      reactions: [{ emoji: "star", amount: 2, currencyId: cur.id }],
    });
    const slack = await world.core.updateBindingSettings("other", {
      platform: "slack",
      externalId: "T0OTHER",
      managerUserIds: ["U0BOSS"],
    });
    expect(slack.settings).toEqual({ managerUserIds: ["U0BOSS"] });
  });

  it("never touches, creates or rebinds a guild or team of another realm, or an unbound one", async () => {
    await twoRealms();
    for (const [realmId, platform, externalId] of [
      ["other", "discord", GUILD],
      ["default", "slack", "T0OTHER"],
      ["default", "discord", "810000000000000099"],
    ] as const) {
      await expect(
        world.core.updateBindingSettings(realmId, { platform, externalId, reactions: [] }),
      ).rejects.toMatchObject({ code: "NOT_FOUND" });
    }
    expect(await world.core.listBindings()).toHaveLength(2);
    expect(await world.core.bindingFor("discord", GUILD)).toMatchObject({
      realmId: "default",
      settings: { managerRoleIds: ["1"], reactions: [{ emoji: "🌮", amount: 1 }] },
    });
    expect((await world.core.bindingFor("slack", "T0OTHER")).settings).toEqual({});
  });

  it.each([
    [{ managerRoleIds: ["not-a-role"] }, "managerRoleIds"],
    [{ managerRoleIds: Array.from({ length: 51 }, (_, i) => String(i)) }, "managerRoleIds"],
    [{ managerUserIds: ["U0BOSS"] }, "managerUserIds: Discord"],
    [{ reactions: [{ emoji: "two words", amount: 1 }] }, "reactions[0].emoji"],
    [{ reactions: [{ emoji: "star", amount: 0 }] }, "reactions[0].amount"],
    // The default currency has no decimal places: 1.5 would fail at every reaction.
    [{ reactions: [{ emoji: "star", amount: 1.5 }] }, "reactions[0].amount: The amount must be a whole number"],
    [{ reactions: [{ emoji: "star", amount: 1, currencyId: "nope" }] }, "reactions[0].currencyId"],
  ])("refuses %j naming %s, changing nothing", async (patch, field) => {
    await twoRealms();
    const before = await world.core.bindingFor("discord", GUILD);
    await expect(
      world.core.updateBindingSettings("default", { platform: "discord", externalId: GUILD, ...patch }),
    ).rejects.toMatchObject({ code: "VALIDATION", message: expect.stringContaining(field.replace(": Discord", "")) });
    expect(await world.core.bindingFor("discord", GUILD)).toEqual(before);
  });

  it("refuses a currency of another realm in a reaction rule", async () => {
    await twoRealms();
    const { id } = await world.core.currency("other");
    await expect(
      world.core.updateBindingSettings("default", {
        platform: "discord",
        externalId: GUILD,
        reactions: [{ emoji: "gem", amount: 1, currencyId: id }],
      }),
    ).rejects.toMatchObject({ code: "VALIDATION", message: expect.stringContaining("reactions[0].currencyId") });
  });
});

describe("each process's copy of a binding", () => {
  const TEAM = "T0CACHED";
  const changes: string[] = [];
  const listening = async () => {
    changes.length = 0;
    return world.t.listen(BINDING_CHANGED_CHANNEL, (payload) => changes.push(payload));
  };
  const announced = async (payload: string) => {
    await expect.poll(() => changes, { timeout: 2_000, interval: 20 }).toContain(payload);
  };

  it("shows this process's own changes at once: rules, managers, a rebinding", async () => {
    await world.core.createRealm({ id: "other", name: "Other" });
    expect(await world.core.bindingFor("slack", TEAM)).toEqual({ realmId: "default", settings: {} });
    await world.core.setReactionRules({
      platform: "slack",
      externalId: TEAM,
      realmId: "default",
      reactions: [{ emoji: "taco", amount: 1 }],
    });
    expect((await world.core.bindingFor("slack", TEAM)).settings).toEqual({
      reactions: [{ emoji: "taco", amount: 1 }],
    });
    await world.core.updateBindingSettings("default", {
      platform: "slack",
      externalId: TEAM,
      managerUserIds: ["U0BOSS"],
    });
    expect((await world.core.bindingFor("slack", TEAM)).settings.managerUserIds).toEqual(["U0BOSS"]);
    await world.core.bindBot({ platform: "slack", externalId: TEAM, realmId: "other" });
    expect(await world.core.bindingFor("slack", TEAM)).toMatchObject({ realmId: "other", settings: {} });
  });

  it("keeps a change made elsewhere unseen until the change is announced, then drops only what was named", async () => {
    await world.core.createRealm({ id: "other", name: "Other" });
    await world.core.bindBot({ platform: "slack", externalId: TEAM, realmId: "default" });
    await world.core.bindBot({ platform: "discord", externalId: GUILD, realmId: "default" });
    expect((await world.core.bindingFor("slack", TEAM)).realmId).toBe("default");
    expect((await world.core.bindingFor("discord", GUILD)).realmId).toBe("default");
    // Another process (or an operator's UPDATE) rebinds both behind this one's back.
    await world.t.db.execute(sql`UPDATE bot_bindings SET realm_id = 'other'`);
    expect((await world.core.bindingFor("slack", TEAM)).realmId).toBe("default"); // the cached copy
    world.core.forgetBinding(`slack:${TEAM}`);
    expect((await world.core.bindingFor("slack", TEAM)).realmId).toBe("other");
    expect((await world.core.bindingFor("discord", GUILD)).realmId).toBe("default"); // not named: still cached
    world.core.forgetBinding("*");
    expect((await world.core.bindingFor("discord", GUILD)).realmId).toBe("other");
  });

  it("is announced by PostgreSQL for every insert, update, delete and truncate, whoever makes it", async () => {
    await world.core.createRealm({ id: "other", name: "Other" });
    const stop = await listening();
    try {
      await world.t.db.execute(
        sql`INSERT INTO bot_bindings (platform, external_id, realm_id) VALUES ('slack', ${TEAM}, 'default')`,
      );
      await announced(`slack:${TEAM}`);
      changes.length = 0;
      await world.t.db.execute(sql`UPDATE bot_bindings SET settings = '{"managerUserIds":["U0BOSS"]}'`);
      await announced(`slack:${TEAM}`);
      changes.length = 0;
      await world.t.db.execute(sql`DELETE FROM bot_bindings`);
      await announced(`slack:${TEAM}`);
      changes.length = 0;
      await world.t.db.execute(sql`TRUNCATE bot_bindings`);
      await announced("*");
    } finally {
      await stop();
    }
  });
});
