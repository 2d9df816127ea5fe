import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatAmount,
  fromJsonText,
  isWholeAmount,
  JsonDecimal,
  MAX_MINOR,
  parseAmount,
  toJsonAmount,
} from "./amounts.ts";

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

  it("round-trips every safe integer of minor units at every scale through its JSON form", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }), fc.maxSafeInteger(), (scale, minorNumber) => {
        fc.pre(minorNumber !== 0);
        const minor = BigInt(minorNumber);
        expect(parseAmount(toJsonAmount(minor, scale), scale)).toBe(minor);
      }),
    );
  });

  it("reads a JSON number's exact text where a double would round it", () => {
    expect(String(Number("76171785121845.93"))).toBe("76171785121845.94"); // why the text matters
    expect(parseAmount(new JsonDecimal("76171785121845.93"), 2)).toBe(7617178512184593n);
    expect(parseAmount(new JsonDecimal("8768870866.716891"), 6)).toBe(8768870866716891n);
    expect(parseAmount(new JsonDecimal("1.50e1"), 0)).toBe(15n);
    expect(parseAmount(new JsonDecimal("0e999999"), 0, { allowZero: true })).toBe(0n);
    expect(() => parseAmount(new JsonDecimal("1.0000000000000001"), 6)).toThrow("more than 6");
    expect(() => parseAmount(new JsonDecimal("9007199254740993"), 0)).toThrow("too large");
    expect(() => parseAmount(new JsonDecimal("1e999999999999"), 0)).toThrow("too large");
    expect(() => parseAmount(new JsonDecimal("1e-999999999999"), 6)).toThrow("more than 6");
    expect(() => parseAmount(new JsonDecimal("12abc"), 0)).toThrow("finite");
    expect(toJsonAmount(7617178512184593n, 2)).toEqual(new JsonDecimal("76171785121845.93"));
    expect(toJsonAmount(150n, 2)).toBe(1.5);
    expect(toJsonAmount(-1n, 6)).toBe(-0.000001);
    expect(isWholeAmount(new JsonDecimal("1.0000000000000001"))).toBe(false);
    expect(isWholeAmount(new JsonDecimal("2.55e1"))).toBe(false);
    expect(isWholeAmount(new JsonDecimal("2.50e2"))).toBe(true);
    expect(isWholeAmount(1.5)).toBe(false);
  });

  it("is exact or refuses at the top of the range, at every scale", () => {
    for (let scale = 0; scale <= 6; scale++) {
      const edge = MAX_MINOR.toString();
      const text = scale === 0 ? edge : `${edge.slice(0, -scale)}.${edge.slice(-scale)}`;
      expect(parseAmount(new JsonDecimal(text), scale)).toBe(MAX_MINOR);
      expect(parseAmount(new JsonDecimal(`-${text}`), scale)).toBe(-MAX_MINOR);
      const past = (MAX_MINOR + 1n).toString();
      const pastText = scale === 0 ? past : `${past.slice(0, -scale)}.${past.slice(-scale)}`;
      expect(() => parseAmount(new JsonDecimal(pastText), scale)).toThrow("too large");
      // Every amount just below the edge is booked to the exact minor unit it names.
      for (let below = 1n; below < 50n; below++) {
        const minor = MAX_MINOR - below;
        expect(parseAmount(toJsonAmount(minor, scale), scale)).toBe(minor);
      }
    }
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

describe("fromJsonText", () => {
  it("keeps a number when a double holds the text exactly, and the text when it would round", () => {
    expect(fromJsonText("1.50")).toBe(1.5);
    expect(fromJsonText("-0")).toBe(-0);
    expect(fromJsonText("1e3")).toBe(1000);
    expect(fromJsonText("76171785121845.93")).toEqual(new JsonDecimal("76171785121845.93"));
    expect(fromJsonText("9007199254740993")).toEqual(new JsonDecimal("9007199254740993"));
    expect(fromJsonText("1e400")).toEqual(new JsonDecimal("1e400"));
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        expect(fromJsonText(JSON.stringify(value))).toBe(Object.is(value, -0) ? 0 : value);
      }),
    );
  });
});

describe("whole-number shortcuts", () => {
  const safe = fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
  const attempt = (f: () => bigint) => {
    try {
      return f();
    } catch (error) {
      return (error as Error).message;
    }
  };
  it("read a whole number as its decimal text reads", () => {
    fc.assert(
      fc.property(safe, fc.integer({ min: 0, max: 6 }), (n, scale) => {
        expect(attempt(() => parseAmount(n, scale))).toEqual(
          attempt(() => parseAmount(new JsonDecimal(String(n)), scale)),
        );
        expect(isWholeAmount(n)).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });
  it("write and read back whole numbers exactly", () => {
    fc.assert(
      fc.property(safe, (n) => {
        expect(toJsonAmount(BigInt(n), 0)).toBe(n === 0 ? 0 : n);
        expect(fromJsonText(String(n))).toBe(n);
        expect(fromJsonText(`${n}.0`)).toBe(n);
      }),
      { numRuns: 5000 },
    );
  });
});
