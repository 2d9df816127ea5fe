import { describe, expect, it } from "vitest";
import { parseEnv } from "./env.ts";

describe("TALLY_IDEMPOTENCY_TTL_HOURS", () => {
  it("defaults to 72 hours, accepts whole hours from 24, and names itself when wrong", () => {
    expect(parseEnv({}).TALLY_IDEMPOTENCY_TTL_HOURS).toBe(72);
    expect(parseEnv({ TALLY_IDEMPOTENCY_TTL_HOURS: "24" }).TALLY_IDEMPOTENCY_TTL_HOURS).toBe(24);
    expect(() => parseEnv({ TALLY_IDEMPOTENCY_TTL_HOURS: "12" })).toThrow(/TALLY_IDEMPOTENCY_TTL_HOURS/);
    expect(() => parseEnv({ TALLY_IDEMPOTENCY_TTL_HOURS: "a day" })).toThrow(/TALLY_IDEMPOTENCY_TTL_HOURS/);
  });
});
