import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { describeIdentifier, normalizeIdentifier } from "./identities.ts";

describe("normalizeIdentifier", () => {
  it("trims and lower-cases emails and EVM wallets, keeps other wallets as given", () => {
    expect(normalizeIdentifier("email", "  Ada@Example.COM ")).toEqual({
      type: "email",
      source: "",
      value: "ada@example.com",
    });
    expect(normalizeIdentifier("wallet", "0xABCDEFabcdef0123456789012345678901234567").value).toBe(
      "0xabcdefabcdef0123456789012345678901234567",
    );
    expect(normalizeIdentifier("wallet", "So1anaCaseSensitive").value).toBe("So1anaCaseSensitive");
  });

  it("requires a source for custom and refuses one elsewhere", () => {
    expect(normalizeIdentifier("custom", "U123", "slack")).toEqual({ type: "custom", source: "slack", value: "U123" });
    expect(() => normalizeIdentifier("custom", "U123")).toThrow("needs a source");
    expect(() => normalizeIdentifier("email", "a@b.co", "x")).toThrow("only allowed");
  });

  it.each([
    ["discord-id", "12345"],
    ["discord-id", "1234567890123456789012"],
    ["discord-id", "abcdefabcdefabcdefa"],
    ["email", "not-an-email"],
    ["email", "a b@c.de"],
    ["wallet", "0x1234"],
    ["twitter-id", "@handle"],
    ["phone", "123"],
    ["email", "   "],
  ])("rejects %s %j with a VALIDATION error", (type, value) => {
    expect(() => normalizeIdentifier(type, value)).toThrow(expect.objectContaining({ code: "VALIDATION" }));
  });

  it("accepts exactly the 17-20 digit snowflakes", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{1,25}$/), (digits) => {
        const ok = digits.length >= 17 && digits.length <= 20;
        if (ok) expect(normalizeIdentifier("discord-id", digits).value).toBe(digits);
        else expect(() => normalizeIdentifier("discord-id", digits)).toThrow();
      }),
    );
  });

  it("is idempotent: normalising a normalised identifier changes nothing", () => {
    const emails = fc.tuple(fc.stringMatching(/^[A-Za-z0-9._+-]{1,20}$/), fc.stringMatching(/^[A-Za-z0-9-]{1,15}$/));
    fc.assert(
      fc.property(emails, fc.constantFrom("", " ", "\t"), ([local, domain], pad) => {
        const once = normalizeIdentifier("email", `${pad}${local}@${domain}.Org${pad}`);
        expect(normalizeIdentifier(once.type, once.value)).toEqual(once);
        expect(describeIdentifier(once)).toBe(`email:${once.value}`);
      }),
    );
  });
});
