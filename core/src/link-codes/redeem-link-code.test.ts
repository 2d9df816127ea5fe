import { queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createBalanceService } from "../balance-service.ts";
import type { Subject, WriteContext } from "../context.ts";
import { normalizeIdentifier } from "../identities.ts";
import { expectAuditClean, useTestCore } from "../testing.ts";
import { createWebhook } from "../webhooks/manage-webhooks.ts";
import { LINK_ATTEMPTS_MAX } from "./redeem-link-code.ts";

const world = useTestCore();
const ctx: WriteContext = { realmId: "default", initiator: { type: "cli", id: "test" }, via: "cli" };
const discord = normalizeIdentifier("discord-id", "710000000000000001");
const slack = normalizeIdentifier("custom", "U0ADA", "slack");
const other = normalizeIdentifier("custom", "U0BOB", "slack");
const of = (identifier: typeof discord): Subject => ({ kind: "credential", identifier });
const count = async (query: ReturnType<typeof sql>) =>
  Number((await queryRows<{ n: string }>(world.t.db, query))[0]?.n);

describe("link codes", () => {
  it("issues TALLY- and 8 unambiguous characters, stores only the hash, and joins two ghosts into one member", async () => {
    await createWebhook(world.t.db, "default", { url: "http://127.0.0.1:9/hook" }, { allowPrivate: true });
    await world.core.adjust(ctx, { subject: of(discord), amount: 30 });
    await world.core.adjust(ctx, { subject: of(slack), amount: 12 });
    const issued = await world.core.issueLinkCode("default", discord);
    expect(issued.code).toMatch(/^TALLY-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$/);
    const stored = await queryRows<{ code_hash: string }>(world.t.db, sql`SELECT code_hash FROM link_codes`);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.code_hash).not.toContain(issued.code.slice(6));

    const result = await world.core.redeemLinkCode(ctx, { code: issued.code.toLowerCase(), redeemer: slack });
    expect(result).toMatchObject({ alreadyLinked: false, replayed: false, issuer: discord });
    const [d, s] = [
      await world.core.balanceOf("default", of(discord)),
      await world.core.balanceOf("default", of(slack)),
    ];
    expect(d.accountId).toBe(s.accountId);
    expect(d).toMatchObject({ linked: true, balance: 42n });
    expect(await count(sql`SELECT count(*)::text AS n FROM ledger_entries WHERE kind = 'link'`)).toBe(4);
    expect(await count(sql`SELECT count(*)::text AS n FROM webhook_outbox WHERE type = 'credential.linked'`)).toBe(2);
    const who = await world.core.describeAccount("default", of(slack));
    expect(who?.credentials.map((c) => c.value).sort()).toEqual([discord.value, slack.value].sort());
    await expectAuditClean(world.core);
  });

  it("refuses a used, an expired, an unknown and a foreign-realm code, changing nothing", async () => {
    await world.core.createRealm({ id: "elsewhere", name: "Elsewhere" });
    await world.core.adjust(ctx, { subject: of(discord), amount: 5 });
    const used = await world.core.issueLinkCode("default", discord);
    await world.core.redeemLinkCode(ctx, { code: used.code, redeemer: slack });
    const entries = await count(sql`SELECT count(*)::text AS n FROM ledger_entries`);
    await expect(world.core.redeemLinkCode(ctx, { code: used.code, redeemer: other })).rejects.toMatchObject({
      code: "CONFLICT",
      details: { reason: "used" },
    });

    const past = createBalanceService(world.t.db, { now: () => new Date(Date.now() - 11 * 60_000) });
    const stale = await past.issueLinkCode("default", other);
    await expect(
      world.core.redeemLinkCode(ctx, { code: stale.code, redeemer: normalizeIdentifier("email", "x@example.com") }),
    ).rejects.toMatchObject({ code: "CONFLICT", details: { reason: "expired" } });

    const foreign = await world.core.issueLinkCode("elsewhere", other);
    await expect(
      world.core.redeemLinkCode(ctx, { code: foreign.code, redeemer: normalizeIdentifier("email", "y@example.com") }),
    ).rejects.toMatchObject({ code: "FORBIDDEN", details: { reason: "other-realm" } });
    await expect(
      world.core.redeemLinkCode(ctx, {
        code: "TALLY-22222222",
        redeemer: normalizeIdentifier("email", "z@example.com"),
      }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(
      world.core.redeemLinkCode(ctx, { code: "TALLY-0000", redeemer: normalizeIdentifier("email", "z@example.com") }),
    ).rejects.toMatchObject({ code: "VALIDATION" });

    expect(await count(sql`SELECT count(*)::text AS n FROM ledger_entries`)).toBe(entries);
    expect((await world.core.balanceOf("default", of(other))).linked).toBe(false);
    expect(
      await count(sql`SELECT count(*)::text AS n FROM credentials WHERE value IN ('x@example.com', 'y@example.com')`),
    ).toBe(0);
  });

  it("links a ghost into the member account the other side already has, and refuses merging two members", async () => {
    const member = await world.core.createUser(ctx, { userId: "ada" });
    await world.core.link(ctx, slack, { userId: "ada" });
    await world.core.adjust(ctx, { subject: of(discord), amount: 7 });
    const code = await world.core.issueLinkCode("default", discord);
    const joined = await world.core.redeemLinkCode(ctx, { code: code.code, redeemer: slack });
    expect(joined.accountId).toBe(member.id);
    expect(await world.core.balanceOf("default", { kind: "user", userId: "ada" })).toMatchObject({ balance: 7n });

    await world.core.createUser(ctx, { userId: "bob" });
    await world.core.link(ctx, other, { userId: "bob" });
    const clash = await world.core.issueLinkCode("default", other);
    await expect(world.core.redeemLinkCode(ctx, { code: clash.code, redeemer: discord })).rejects.toMatchObject({
      code: "CONFLICT",
      details: { reason: "two-members" },
    });
    // The refusal left the code unspent.
    expect(await count(sql`SELECT count(*)::text AS n FROM link_codes WHERE used_at IS NULL`)).toBe(1);
  });

  it("refuses redeeming one's own code, and a redelivered redemption replays its first result", async () => {
    const code = await world.core.issueLinkCode("default", discord);
    await expect(world.core.redeemLinkCode(ctx, { code: code.code, redeemer: discord })).rejects.toMatchObject({
      code: "VALIDATION",
      details: { reason: "own-code" },
    });
    const keyed = { ...ctx, idempotencyKey: "slack:trigger-1" };
    const first = await world.core.redeemLinkCode(keyed, { code: code.code, redeemer: slack });
    const again = await world.core.redeemLinkCode(keyed, { code: code.code, redeemer: slack });
    expect(again).toMatchObject({ replayed: true, accountId: first.accountId });
  });

  it(`allows ${LINK_ATTEMPTS_MAX} attempts per caller per 10 minutes, then refuses even a valid code`, async () => {
    for (let i = 0; i < LINK_ATTEMPTS_MAX; i++) {
      await expect(
        world.core.redeemLinkCode(ctx, { code: `TALLY-2222222${i + 2}`, redeemer: slack }),
      ).rejects.toMatchObject({
        code: "NOT_FOUND",
      });
    }
    const good = await world.core.issueLinkCode("default", discord);
    await expect(world.core.redeemLinkCode(ctx, { code: good.code, redeemer: slack })).rejects.toMatchObject({
      code: "RATE_LIMITED",
    });
    // Another caller is not held back by this one's guesses.
    await expect(world.core.redeemLinkCode(ctx, { code: good.code, redeemer: other })).resolves.toMatchObject({
      alreadyLinked: false,
    });
    // And the window reopens after 10 minutes.
    const later = createBalanceService(world.t.db, { now: () => new Date(Date.now() + 10 * 60_000 + 1000) });
    const fresh = await later.issueLinkCode("default", discord);
    await expect(later.redeemLinkCode(ctx, { code: fresh.code, redeemer: slack })).resolves.toMatchObject({
      alreadyLinked: false,
    });
  });
});
