import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalText, describeIdentifier, normalizeIdentifier } from "./identities.ts";

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

describe("look-alike identifiers are one credential", () => {
  const invisible = fc.constantFrom(
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u00ad",
    "\u200e",
    "\u0000",
    "\u0007",
  );
  /** Inserts invisible characters at random code point boundaries. */
  const sprinkle = (text: string, marks: string[], places: number[]) => {
    const points = Array.from(text);
    places.forEach((at, i) => {
      points.splice(at % (points.length + 1), 0, marks[i % marks.length] ?? "");
    });
    return points.join("");
  };
  const fullwidth = (text: string) =>
    text.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0x21 + 0xff01));
  const word = fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 });
  const types = fc.constantFrom("email", "custom", "wallet");
  const tryNormalize = (type: string, value: string, source?: string) => {
    try {
      return normalizeIdentifier(type, value, type === "custom" ? (source ?? "shop") : undefined);
    } catch (error) {
      return (error as { code?: string }).code ?? "thrown";
    }
  };

  it("canonical text is idempotent and has no control, format or lone surrogate characters", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 40 }), fc.boolean(), (text, foldCase) => {
        let once: string;
        try {
          once = canonicalText(text, { foldCase });
        } catch {
          expect(/\p{Cs}/u.test(text)).toBe(true);
          return;
        }
        expect(canonicalText(once, { foldCase })).toBe(once);
        expect(/[\p{Cc}\p{Cf}\p{Cs}]/u.test(once)).toBe(false);
        expect(once).toBe(once.normalize("NFKC"));
      }),
    );
  });

  it("ignores invisible characters anywhere in a value or source", () => {
    fc.assert(
      fc.property(
        types,
        word,
        fc.array(invisible, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(40), { minLength: 1, maxLength: 4 }),
        (type, value, marks, places) => {
          expect(tryNormalize(type, sprinkle(value, marks, places), sprinkle("Shop", marks, places))).toEqual(
            tryNormalize(type, value, "shop"),
          );
        },
      ),
    );
  });

  it("treats NFD and NFC, and fullwidth and ASCII, as the same identifier", () => {
    fc.assert(
      fc.property(types, word, (type, value) => {
        const expected = tryNormalize(type, value.normalize("NFC"));
        expect(tryNormalize(type, value.normalize("NFD"))).toEqual(expected);
      }),
    );
    expect(normalizeIdentifier("email", "Jose\u0301@example.com")).toEqual(
      normalizeIdentifier("email", "José@example.com"),
    );
    expect(normalizeIdentifier("email", fullwidth("ada@example.com")).value).toBe("ada@example.com");
    expect(normalizeIdentifier("email", "a\u200bda@exa\u2060mple.com").value).toBe("ada@example.com");
    expect(normalizeIdentifier("custom", fullwidth("U123"), "Slack")).toEqual({
      type: "custom",
      source: "slack",
      value: "U123",
    });
    fc.assert(
      fc.property(fc.stringMatching(/^[!-~]{1,20}$/), (ascii) => {
        expect(tryNormalize("custom", fullwidth(ascii))).toEqual(tryNormalize("custom", ascii));
      }),
    );
  });

  it("folds a custom source's case but keeps a custom value's case", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/), (source) => {
        expect(normalizeIdentifier("custom", "Ab", source)).toEqual(
          normalizeIdentifier("custom", "Ab", source.toUpperCase()),
        );
      }),
    );
    expect(normalizeIdentifier("custom", "Ab", "x").value).toBe("Ab");
  });

  it("refuses text that is not valid Unicode, and a value that is only invisible characters", () => {
    expect(() => normalizeIdentifier("custom", "a\ud800b", "x")).toThrow("not valid Unicode");
    expect(() => normalizeIdentifier("email", "\u200b\u0000")).toThrow("must not be empty");
  });
});

describe("canonicalText's printable-ASCII shortcut", () => {
  const reference = (text: string, foldCase: boolean) => {
    let result = text.replace(/[\p{Cc}\p{Cf}]/gu, "").normalize("NFKC");
    if (foldCase) result = result.toLowerCase().normalize("NFKC");
    return result.trim();
  };
  it("gives what the full Unicode path gives", () => {
    const ascii = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) });
    fc.assert(
      fc.property(ascii, fc.boolean(), (text, foldCase) => {
        expect(canonicalText(text, { foldCase })).toBe(reference(text, foldCase));
      }),
      { numRuns: 2000 },
    );
  });
});
