import type { Database } from "@tally/db";
import { describe, expect, it } from "vitest";
import { createBalanceService } from "../balance-service.ts";
import type { Subject, WriteContext } from "../context.ts";
import { normalizeIdentifier } from "../identities.ts";
import { useTestCore } from "../testing.ts";

const ctx: WriteContext = { realmId: "default", initiator: { type: "cli", id: "trips" }, via: "cli" };
const A: Subject = { kind: "credential", identifier: normalizeIdentifier("discord-id", "900000000000000001") };

const world = useTestCore();

/** The database handle with every query-issuing call counted: each is one statement, one round trip. */
function counted(db: Database): { db: Database; calls: string[] } {
  const calls: string[] = [];
  const methods = new Set(["execute", "select", "insert", "update", "delete", "transaction"]);
  const proxy = new Proxy(db, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof property !== "string" || !methods.has(property) || typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls.push(property);
        return value.apply(target, args);
      };
    },
  });
  return { db: proxy, calls };
}

describe("the hot path", () => {
  it("a credit or debit of a known credential is one statement, keyed or not, credential lock included", async () => {
    await world.core.adjust(ctx, { subject: A, amount: 10 }); // creates the credential
    const { db, calls } = counted(world.t.db);
    const core = createBalanceService(db);
    await core.currencies("default"); // warm the currency cache, as a running process has it
    calls.length = 0;
    await core.adjust(ctx, { subject: A, amount: 5 });
    await core.adjust(ctx, { subject: A, amount: -3 });
    await core.adjust({ ...ctx, idempotencyKey: "trip" }, { subject: A, amount: 1 });
    expect(calls).toEqual(["execute", "execute", "execute"]);
    expect((await world.core.balanceOf("default", A)).balance).toBe(13n);
  });
});
