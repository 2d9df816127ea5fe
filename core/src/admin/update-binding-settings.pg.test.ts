import { describe, expect, it } from "vitest";
import { useTestCore } from "../testing.ts";

// Real connections racing: PostgreSQL only.
const world = useTestCore({ maxConnections: 20 });
const GUILD = "820000000000000001";

describe("binding settings under concurrency (PostgreSQL)", () => {
  it("keeps every concurrent change of managers and of reaction rules (each merges, none overwrites the other)", async () => {
    await world.core.bindBot({ platform: "discord", externalId: GUILD, realmId: "default" });
    const roles = Array.from({ length: 10 }, (_, i) => [`90000000000000000${i}`]);
    await Promise.all(
      roles.flatMap((managerRoleIds, i) => [
        world.core.updateBindingSettings("default", { platform: "discord", externalId: GUILD, managerRoleIds }),
        world.core.updateBindingSettings("default", {
          platform: "discord",
          externalId: GUILD,
          reactions: [{ emoji: `e${i}`, amount: i + 1 }],
        }),
      ]),
    );
    const { settings } = await world.core.bindingFor("discord", GUILD);
    expect(settings.managerRoleIds).toHaveLength(1);
    expect(settings.reactions).toHaveLength(1);
  });

  it("never leaves realm A's settings on a guild rebound to realm B at the same moment", async () => {
    await world.core.createRealm({ id: "b", name: "B" });
    for (let round = 0; round < 20; round++) {
      const externalId = String(820000000000000100n + BigInt(round));
      await world.core.bindBot({ platform: "discord", externalId, realmId: "default" });
      const [edit, rebind] = await Promise.allSettled([
        world.core.updateBindingSettings("default", { platform: "discord", externalId, managerRoleIds: ["111"] }),
        world.core.bindBot({ platform: "discord", externalId, realmId: "b", settings: { managerRoleIds: ["222"] } }),
      ]);
      expect(rebind.status).toBe("fulfilled");
      if (edit.status === "rejected") expect(edit.reason).toMatchObject({ code: "NOT_FOUND" });
      expect(await world.core.bindingFor("discord", externalId)).toMatchObject({
        realmId: "b",
        settings: { managerRoleIds: ["222"] },
      });
    }
  });

  it("setting reaction rules keeps a manager change made at the same moment (one merge, not read-then-write)", async () => {
    for (let round = 0; round < 20; round++) {
      const externalId = String(820000000000000200n + BigInt(round));
      await world.core.bindBot({ platform: "discord", externalId, realmId: "default" });
      await Promise.all([
        world.core.setReactionRules({
          platform: "discord",
          externalId,
          realmId: "default",
          reactions: [{ emoji: "taco", amount: 1 }],
        }),
        world.core.updateBindingSettings("default", { platform: "discord", externalId, managerRoleIds: ["333"] }),
      ]);
      expect((await world.core.bindingFor("discord", externalId)).settings).toEqual({
        reactions: [{ emoji: "taco", amount: 1 }],
        managerRoleIds: ["333"],
      });
    }
  });

  it("setting reaction rules never takes back a guild rebound to another realm at the same moment", async () => {
    await world.core.createRealm({ id: "c", name: "C" });
    for (let round = 0; round < 20; round++) {
      const externalId = String(820000000000000300n + BigInt(round));
      await world.core.bindBot({ platform: "discord", externalId, realmId: "default" });
      const [rules, rebind] = await Promise.allSettled([
        world.core.setReactionRules({
          platform: "discord",
          externalId,
          realmId: "default",
          reactions: [{ emoji: "taco", amount: 1 }],
        }),
        world.core.bindBot({ platform: "discord", externalId, realmId: "c", settings: { managerRoleIds: ["444"] } }),
      ]);
      expect(rebind.status).toBe("fulfilled");
      if (rules.status === "rejected") expect(rules.reason).toMatchObject({ code: "FORBIDDEN" });
      expect(await world.core.bindingFor("discord", externalId)).toMatchObject({
        realmId: "c",
        settings: { managerRoleIds: ["444"] },
      });
    }
  });
});
