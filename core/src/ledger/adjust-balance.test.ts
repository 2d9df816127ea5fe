import { describe, expect, it } from "vitest";
import type { WriteContext } from "../context.ts";
import { normalizeIdentifier } from "../identities.ts";
import { useTestCore } from "../testing.ts";

const ctx: WriteContext = { realmId: "default", initiator: { type: "cli", id: "test" }, via: "cli" };
const alice = { kind: "credential", identifier: normalizeIdentifier("email", "Alice@Example.com") } as const;

const world = useTestCore({ apiKey: "tly_test" });

describe("adjust", () => {
  it("creates a ghost credential on first credit and accumulates", async () => {
    const first = await world.core.adjust(ctx, { subject: alice, amount: 10 });
    expect(first.balance).toBe(10n);
    expect(first.linked).toBe(false);
    const second = await world.core.adjust(ctx, { subject: alice, amount: -4 });
    expect(second.balance).toBe(6n);
    expect(second.credentialId).toBe(first.credentialId);
  });

  it("refuses an overdraft and writes nothing", async () => {
    await world.core.adjust(ctx, { subject: alice, amount: 5 });
    await expect(world.core.adjust(ctx, { subject: alice, amount: -6 })).rejects.toMatchObject({
      code: "INSUFFICIENT_BALANCE",
    });
    const page = await world.core.history("default", {});
    expect(page.items).toHaveLength(1);
  });

  it("replays the same idempotency key and refuses a different request with it", async () => {
    const keyed = { ...ctx, idempotencyKey: "k1" };
    const a = await world.core.adjust(keyed, { subject: alice, amount: 3 });
    const b = await world.core.adjust(keyed, { subject: alice, amount: 3 });
    expect(b).toMatchObject({ replayed: true, balance: 3n, entryId: a.entryId });
    await expect(world.core.adjust(keyed, { subject: alice, amount: 4 })).rejects.toMatchObject({
      code: "IDEMPOTENCY_CONFLICT",
    });
    expect((await world.core.balanceOf("default", alice)).balance).toBe(3n);
  });
});

describe("sameAccount", () => {
  const discord = { kind: "credential", identifier: normalizeIdentifier("discord-id", "500000000000000001") } as const;
  const bob = { kind: "credential", identifier: normalizeIdentifier("email", "bob@example.com") } as const;

  it("is true only for two subjects holding one account; an unknown subject shares none", async () => {
    expect(await world.core.sameAccount("default", alice, discord)).toBe(false);
    // Two ghosts: each its own account.
    await world.core.adjust(ctx, { subject: alice, amount: 1 });
    await world.core.adjust(ctx, { subject: bob, amount: 1 });
    expect(await world.core.sameAccount("default", alice, bob)).toBe(false);
    expect(await world.core.sameAccount("default", alice, discord)).toBe(false);
    // Alice's discord id linked to her user: the credential, the user and the account are one member.
    const user = await world.core.createUser(ctx, { userId: "alice" });
    await world.core.link(ctx, alice.identifier, { accountId: user.id });
    await world.core.link(ctx, discord.identifier, { userId: "alice" });
    expect(await world.core.sameAccount("default", alice, discord)).toBe(true);
    expect(await world.core.sameAccount("default", discord, { kind: "user", userId: "alice" })).toBe(true);
    expect(await world.core.sameAccount("default", { kind: "account", accountId: user.id }, alice)).toBe(true);
    expect(await world.core.sameAccount("default", bob, { kind: "user", userId: "alice" })).toBe(false);
    // Another realm's lookup finds none of them.
    expect(await world.core.sameAccount("elsewhere", alice, discord)).toBe(false);
  });
});
