import { afterEach, describe, expect, it, vi } from "vitest";
import { failureReporter } from "./background-task.ts";

afterEach(() => {
  vi.useRealTimers();
});

describe("failureReporter", () => {
  it("reports a repeating failure once, then again each minute while it lasts", () => {
    vi.useFakeTimers({ now: 0 });
    const reported: unknown[] = [];
    const report = failureReporter({ onError: (error) => reported.push(error) });
    const away = new Error("connect ECONNREFUSED 127.0.0.1:5432");
    for (let pass = 0; pass <= 120; pass++) {
      report.failed(away);
      vi.advanceTimersByTime(500); // the webhook worker's pace
    }
    expect(reported).toEqual([away, away]); // 121 failed passes over 60 s: at 0 s and at 60 s
  });

  it("reports a different failure at once, and the same one again after a success", () => {
    const reported: string[] = [];
    const report = failureReporter({
      onError: (error) => reported.push(error instanceof Error ? error.message : String(error)),
    });
    report.failed(new Error("down"));
    report.failed(new Error("down"));
    report.failed(new Error("timeout"));
    report.succeeded();
    report.failed(new Error("timeout"));
    report.failed("not an Error");
    expect(reported).toEqual(["down", "timeout", "timeout", "not an Error"]);
  });

  it("says once that it works again, on the first success after a reported failure, and never without one", () => {
    const said: string[] = [];
    const report = failureReporter({
      onError: (error) => said.push(`failed: ${error instanceof Error ? error.message : String(error)}`),
      onRecovered: () => said.push("works again"),
    });
    report.succeeded();
    report.failed(new Error("down"));
    report.failed(new Error("down"));
    report.succeeded();
    report.succeeded();
    report.failed(new Error("down"));
    report.succeeded();
    expect(said).toEqual(["failed: down", "works again", "failed: down", "works again"]);
  });
});
