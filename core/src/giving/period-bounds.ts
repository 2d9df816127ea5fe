import type { AllowancePeriod } from "@tally/db";
import { TallyError } from "../errors.ts";

/** The period `now` falls in, in `timeZone`: days start at local midnight, weeks on Monday, months on the 1st. */
export function periodBounds(now: Date, period: AllowancePeriod, timeZone = "UTC"): { start: Date; end: Date } {
  const { year, month, day, weekday } = localDate(now, timeZone);
  switch (period) {
    case "day":
      return { start: zonedMidnight(year, month, day, timeZone), end: zonedMidnight(year, month, day + 1, timeZone) };
    case "week": {
      const monday = day - ((weekday + 6) % 7);
      return {
        start: zonedMidnight(year, month, monday, timeZone),
        end: zonedMidnight(year, month, monday + 7, timeZone),
      };
    }
    case "month":
      return { start: zonedMidnight(year, month, 1, timeZone), end: zonedMidnight(year, month + 1, 1, timeZone) };
  }
}

/** The instant a calendar day (`2026-01-31`) starts at local midnight in `timeZone`. */
export function localDayStart(day: string, timeZone = "UTC"): Date {
  const [year = 0, month = 0, date = 0] = day.split("-").map(Number);
  return zonedMidnight(year, month, date, timeZone);
}

/**
 * The last `count` calendar days in `timeZone` up to the one `now` falls in, oldest first, each with the instant it
 * starts (days of 23 or 25 hours across a DST change included).
 */
export function lastLocalDays(now: Date, count: number, timeZone = "UTC"): { day: string; start: Date }[] {
  const { year, month, day } = localDate(now, timeZone);
  return Array.from({ length: count }, (_, i) => {
    const date = day - (count - 1 - i);
    // Calendar arithmetic is the same in every zone: UTC names the day.
    const text = new Date(Date.UTC(year, month - 1, date)).toISOString().slice(0, 10);
    return { day: text, start: zonedMidnight(year, month, date, timeZone) };
  });
}

/** Throws VALIDATION unless the runtime knows the IANA time zone. */
export function checkTimeZone(timeZone: string): string {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return timeZone;
  } catch {
    throw new TallyError("VALIDATION", `Unknown time zone "${timeZone}": use an IANA name such as Europe/Paris.`);
  }
}

const formats = new Map<string, Intl.DateTimeFormat>();

function partsIn(ms: number, timeZone: string): Record<string, number> {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formats.set(timeZone, format);
  }
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(ms)) if (part.type !== "literal") parts[part.type] = Number(part.value);
  return parts;
}

function localDate(now: Date, timeZone: string) {
  const p = partsIn(now.getTime(), timeZone);
  const year = p.year as number;
  const month = p.month as number;
  const day = p.day as number;
  return { year, month, day, weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay() };
}

/** How far `timeZone` is ahead of UTC at the instant `ms`. */
function offsetAt(ms: number, timeZone: string): number {
  const p = partsIn(ms, timeZone);
  const asUtc = Date.UTC(p.year as number, (p.month as number) - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** The instant local midnight starts on that calendar day (days and months past their end roll over, as Date.UTC). */
function zonedMidnight(year: number, month: number, day: number, timeZone: string): Date {
  const guess = Date.UTC(year, month - 1, day);
  const first = guess - offsetAt(guess, timeZone);
  // Across a DST change the offset at the guess and at the answer differ: the second reading is the right one.
  const second = guess - offsetAt(first, timeZone);
  return new Date(second);
}
