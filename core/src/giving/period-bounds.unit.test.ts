import { describe, expect, it } from "vitest";
import { checkTimeZone, periodBounds } from "./period-bounds.ts";

const at = (iso: string) => new Date(iso);
const iso = (b: { start: Date; end: Date }) => [b.start.toISOString(), b.end.toISOString()];

describe("periodBounds", () => {
  it("cuts days, ISO weeks (Monday) and months at UTC midnight by default", () => {
    const now = at("2026-11-25T15:00:00Z"); // a Wednesday
    expect(iso(periodBounds(now, "day"))).toEqual(["2026-11-25T00:00:00.000Z", "2026-11-26T00:00:00.000Z"]);
    expect(iso(periodBounds(now, "week"))).toEqual(["2026-11-23T00:00:00.000Z", "2026-11-30T00:00:00.000Z"]);
    expect(iso(periodBounds(now, "month"))).toEqual(["2026-11-01T00:00:00.000Z", "2026-12-01T00:00:00.000Z"]);
    // A Sunday belongs to the week that started the Monday before; December rolls into the next year.
    expect(iso(periodBounds(at("2026-11-29T23:59:59Z"), "week"))[0]).toBe("2026-11-23T00:00:00.000Z");
    expect(iso(periodBounds(at("2026-12-31T12:00:00Z"), "month"))[1]).toBe("2027-01-01T00:00:00.000Z");
  });

  it("starts periods at the realm's local midnight, across a daylight-saving change", () => {
    // 23:30 UTC on 25 Nov is already 26 Nov in Paris (UTC+1).
    expect(iso(periodBounds(at("2026-11-25T23:30:00Z"), "day", "Europe/Paris"))).toEqual([
      "2026-11-25T23:00:00.000Z",
      "2026-11-26T23:00:00.000Z",
    ]);
    // 29 March 2026 is 23 hours long in Paris: midnight is UTC+1, the next midnight UTC+2.
    expect(iso(periodBounds(at("2026-03-29T12:00:00Z"), "day", "Europe/Paris"))).toEqual([
      "2026-03-28T23:00:00.000Z",
      "2026-03-29T22:00:00.000Z",
    ]);
    expect(iso(periodBounds(at("2026-11-25T03:00:00Z"), "month", "America/New_York"))).toEqual([
      "2026-11-01T04:00:00.000Z",
      "2026-12-01T05:00:00.000Z",
    ]);
  });

  it("refuses an unknown time zone by name", () => {
    expect(() => checkTimeZone("Mars/Olympus")).toThrow(/Unknown time zone "Mars\/Olympus"/);
    expect(checkTimeZone("Asia/Tokyo")).toBe("Asia/Tokyo");
  });
});
