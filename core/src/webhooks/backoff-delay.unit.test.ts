import { expect, it } from "vitest";
import { backoffDelay, defaultWorkerOptions } from "./deliver-webhooks.ts";

it("retries 5 s after the first failure, doubling to at most 1 h apart, with ±25% jitter", () => {
  const { backoffMs, maxBackoffMs } = defaultWorkerOptions;
  const at = (attempts: number, random: number) => backoffDelay(attempts, backoffMs, maxBackoffMs, () => random);
  expect([1, 2, 3, 4].map((n) => at(n, 0.5))).toEqual([5_000, 10_000, 20_000, 40_000]);
  expect(at(20, 0.5)).toBe(3_600_000);
  expect(at(1, 0)).toBe(3_750);
  expect(at(1, 0.999999)).toBeCloseTo(6_250, -1);
  // within 24 hours the worker makes well over a dozen attempts before it gives up
  let elapsed = 0;
  let attempts = 0;
  while (elapsed < defaultWorkerOptions.retryWindowMs) elapsed += at(++attempts, 0.5);
  expect(attempts).toBeGreaterThan(20);
  expect(defaultWorkerOptions).toMatchObject({
    timeoutMs: 10_000,
    retryWindowMs: 86_400_000,
    disableAfterMs: 259_200_000,
  });
});
