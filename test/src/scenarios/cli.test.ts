import { createBalanceService } from "@tally/core";
import { openDatabase } from "@tally/db";
import { describe, expect, it } from "vitest";
import { useTallyCli } from "../cli-harness.ts";

const cli = useTallyCli("tly_cli_bootstrap_key");
const { tally, json } = cli;

describe("pnpm tally", () => {
  it("creates a realm, a key that opens it, a currency, a user and a binding", async () => {
    const realm = await json("realm", "create", "--name", "Guild", "--id", "guild-realm");
    expect(realm).toMatchObject({ id: "guild-realm", name: "Guild" });
    const key = await json("key", "create", "--realm", "guild-realm", "--name", "ci");
    expect(key.key).toMatch(/^tly_/);
    const keys = await json("key", "list", "--realm", "guild-realm");
    expect(keys).toHaveLength(1);
    expect(JSON.stringify(keys)).not.toContain(key.key);
    const currency = await json("currency", "create", "--realm", "guild-realm", "--name", "gems", "--scale", "2");
    expect(currency).toMatchObject({ name: "gems", scale: 2, isDefault: false });
    const user = await json("user", "create", "--realm", "guild-realm", "--user-id", "u1", "--email", "A@B.io");
    expect(user).toMatchObject({ userId: "u1", email: "a@b.io", kind: "member" });
    await json("bind", "discord", "--guild", "123456789012345678", "--realm", "guild-realm", "--manager-role", "9,8");
    const bindings = await json("bind", "list");
    expect(bindings).toEqual([
      expect.objectContaining({ platform: "discord", externalId: "123456789012345678", realmId: "guild-realm" }),
    ]);

    const database = await openDatabase({ url: cli.env.DATABASE_URL, dataDir: cli.dataDir });
    try {
      const core = createBalanceService(database.db);
      expect((await core.authenticateApiKey(key.key))?.realmId).toBe("guild-realm");
      expect((await core.bindingFor("discord", "123456789012345678")).settings).toEqual({
        managerRoleIds: ["9", "8"],
        reactions: [], // no --reaction: no emoji gives points
      });
    } finally {
      await database.close();
    }
  });

  it("explains a missing option, an unknown command and a domain error, changing nothing", async () => {
    const missing = await tally("realm", "create");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--name is required");
    const unknown = await tally("realm", "explode");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "realm explode"');
    const noRealm = await tally("bind", "slack", "--team", "T1", "--realm", "nope");
    expect(noRealm.code).toBe(1);
    expect(noRealm.stderr).toContain('NOT_FOUND: No realm "nope"');
    const dup = await tally("realm", "create", "--name", "x", "--id", "default");
    expect(dup.stderr).toContain("CONFLICT");
    const bindings: { platform: string }[] = await json("bind", "list");
    expect(bindings.filter((b) => b.platform === "slack")).toEqual([]);
  });
});
