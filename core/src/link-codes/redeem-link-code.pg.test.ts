import { queryRows } from "@tally/db";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { WriteContext } from "../context.ts";
import { normalizeIdentifier } from "../identities.ts";
import { expectAuditClean, useTestCore } from "../testing.ts";

// Concurrent redemptions need real connections: PostgreSQL only.
const world = useTestCore({ maxConnections: 30 });
const ctx: WriteContext = { realmId: "default", initiator: { type: "cli", id: "race" }, via: "cli" };

describe("link code races on PostgreSQL", () => {
  it("10 codes issued at once for one credential: only one is left to redeem", async () => {
    const issuer = normalizeIdentifier("discord-id", "720000000000000002");
    await world.core.adjust(ctx, { subject: { kind: "credential", identifier: issuer }, amount: 1 });
    const issued = await Promise.all(Array.from({ length: 10 }, () => world.core.issueLinkCode("default", issuer)));
    const live = await queryRows<{ n: string }>(
      world.t.db,
      sql`SELECT count(*)::text AS n FROM link_codes WHERE credential_id = ${issued[0]?.credentialId} AND used_at IS NULL`,
    );
    expect(Number(live[0]?.n)).toBe(1);
  });

  it("20 concurrent redemptions of one code by 20 identities: exactly one joins, the rest find it used", async () => {
    const issuer = normalizeIdentifier("discord-id", "720000000000000001");
    await world.core.adjust(ctx, { subject: { kind: "credential", identifier: issuer }, amount: 40 });
    const { code } = await world.core.issueLinkCode("default", issuer);
    const settled = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        world.core.redeemLinkCode(ctx, { code, redeemer: normalizeIdentifier("custom", `U0RACE${i}`, "slack") }),
      ),
    );
    const codes = settled.map((r) => (r.status === "fulfilled" ? "ok" : (r.reason as { code: string }).code));
    expect(codes.filter((c) => c === "ok")).toHaveLength(1);
    expect(codes.filter((c) => c === "CONFLICT")).toHaveLength(19);
    const rows = await queryRows<{ n: string }>(
      world.t.db,
      sql`SELECT count(*)::text AS n FROM ledger_entries WHERE kind = 'link'`,
    );
    expect(Number(rows[0]?.n)).toBe(2);
    const members = await queryRows<{ n: string }>(
      world.t.db,
      sql`SELECT count(*)::text AS n FROM accounts WHERE kind = 'member'`,
    );
    expect(Number(members[0]?.n)).toBe(1);
    expect(await world.core.balanceOf("default", { kind: "credential", identifier: issuer })).toMatchObject({
      linked: true,
      balance: 40n,
    });
    await expectAuditClean(world.core);
  });
});
