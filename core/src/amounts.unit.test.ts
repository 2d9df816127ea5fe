import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatAmount, MAX_MINOR, parseAmount, toMajor } from "./amounts.ts";

describe("parseAmount", () => {
  it("converts exact decimals to minor units", () => {
    expect(parseAmount(10, 0)).toBe(10n);
    expect(parseAmount(-4, 0)).toBe(-4n);
    expect(parseAmount(0.1, 1)).toBe(1n);
    expect(parseAmount(1.23, 2)).toBe(123n);
    expect(parseAmount(1.2, 6)).toBe(1_200_000n);
    expect(parseAmount(1e3, 0)).toBe(1000n);
    expect(parseAmount(1e-6, 6)).toBe(1n);
    expect(parseAmount(Number.MAX_SAFE_INTEGER, 0)).toBe(MAX_MINOR);
  });

  it.each([
    [Number.NaN, 0, "finite"],
    [Number.POSITIVE_INFINITY, 0, "finite"],
    ["10", 0, "finite"],
    [null, 0, "finite"],
    [0, 0, "zero"],
    [-0, 0, "zero"],
    [1.5, 0, "whole number"],
    [1.234, 2, "more than 2 decimal places"],
    [1e-7, 6, "more than 6"],
    [2 ** 53, 0, "too large"],
    [1e300, 0, "too large"],
    [Number.MAX_SAFE_INTEGER, 1, "too large"],
  ])("rejects %s at scale %s", (input, scale, message) => {
    expect(() => parseAmount(input, scale)).toThrow(message);
  });

  it("round-trips every safe integer of minor units at every scale", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }), fc.maxSafeInteger(), (scale, minorNumber) => {
        fc.pre(minorNumber !== 0);
        const minor = BigInt(minorNumber);
        // Past 15 significant digits a decimal can fall between doubles; those amounts are not sent as JSON.
        fc.pre(scale === 0 || (minor < 0n ? -minor : minor) < 10n ** 15n);
        expect(parseAmount(toMajor(minor, scale), scale)).toBe(minor);
      }),
    );
  });

  it("never accepts a non-integer at scale 0, never returns a float", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (value) => {
        try {
          const minor = parseAmount(value, 0);
          expect(Number.isInteger(value)).toBe(true);
          expect(minor).toBe(BigInt(value));
        } catch (error) {
          expect((error as { code?: string }).code).toBe("INVALID_AMOUNT");
        }
      }),
    );
  });
});

describe("formatAmount", () => {
  it("groups thousands and pads the fraction", () => {
    expect(formatAmount(1234567n, 0)).toBe("1,234,567");
    expect(formatAmount(5n, 2)).toBe("0.05");
    expect(formatAmount(-123456n, 2)).toBe("-1,234.56");
  });
});
