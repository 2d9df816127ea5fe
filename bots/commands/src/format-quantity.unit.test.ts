import { describe, expect, it } from "vitest";
import { quantity, typedQuantity, unitName } from "./format-quantity.ts";

const points = { name: "points", scale: 0 };

describe("quantities in replies", () => {
  it("makes a bare 1 singular and every other amount plural", () => {
    expect(quantity(1n, points)).toBe("1 point");
    expect(quantity(-1n, points)).toBe("-1 point");
    expect(quantity(0n, points)).toBe("0 points");
    expect(quantity(2n, points)).toBe("2 points");
    expect(quantity(1_000n, points)).toBe("1,000 points");
    expect(typedQuantity(1, points)).toBe("1 point");
    expect(typedQuantity(11, points)).toBe("11 points");
  });

  it("keeps a 1 with decimals plural, as English does", () => {
    const gems = { name: "gems", scale: 2 };
    expect(quantity(100n, gems)).toBe("1.00 gems");
    expect(quantity(150n, gems)).toBe("1.50 gems");
    expect(typedQuantity(1, gems)).toBe("1 gem");
    expect(typedQuantity(1.5, gems)).toBe("1.5 gems");
  });

  it("singularises English plurals, with the emoji before the name", () => {
    expect(quantity(1n, { name: "coins", emoji: "🪙", scale: 0 })).toBe("1 🪙 coin");
    expect(quantity(2n, { name: "coins", emoji: "🪙", scale: 0 })).toBe("2 🪙 coins");
    expect(unitName("Credits", "1")).toBe("Credit");
    expect(unitName("gold coins", "1")).toBe("gold coin");
    expect(unitName("tacos", "+1")).toBe("taco");
  });

  it("leaves names that are no English plural as they are", () => {
    for (const name of ["🌮", "karma", "Punkte", "XP", "ポイント", "kudos", "gold"]) {
      expect(unitName(name, "1")).toBe(name);
      expect(unitName(name, "2")).toBe(name);
    }
  });
});
