/** What a background loop says when a pass fails, and when one succeeds again after a failure was reported. */
export interface FailureHandlers {
  onError?: ((error: unknown) => void) | undefined;
  onRecovered?: (() => void) | undefined;
}

/**
 * A background loop's error reports, without the repeats: while the database is away every pass fails alike, and a
 * line per pass (the webhook worker's came twice a second) buries the one that says what is wrong. A failure is
 * reported once, and again each `repeatMs` while it lasts; a different failure, or one after a success, at once.
 * The first success after a reported failure says so once, so whoever read the failure also learns it is over.
 */
export function failureReporter({ onError, onRecovered }: FailureHandlers, repeatMs = 60_000) {
  let last: { message: string; at: number } | undefined;
  return {
    failed(error: unknown): void {
      const message = error instanceof Error ? error.message : String(error);
      const now = Date.now();
      if (last?.message === message && now - last.at < repeatMs) return;
      last = { message, at: now };
      onError?.(error);
    },
    succeeded(): void {
      if (last === undefined) return;
      last = undefined;
      onRecovered?.();
    },
  };
}

/**
 * Runs `task` now and then every `everyMs` in the background: a pass never overlaps the previous one, the timer never
 * keeps the process alive, and a failure (say, the database is away) is reported (see failureReporter) and retried
 * on the next tick.
 */
export function startBackgroundTask(
  task: () => Promise<unknown>,
  options: { everyMs: number } & FailureHandlers,
): { stop(): Promise<void> } {
  const report = failureReporter(options);
  let running: Promise<unknown> | undefined;
  const tick = () => {
    if (running) return;
    running = task()
      .then(report.succeeded, report.failed)
      .finally(() => {
        running = undefined;
      });
  };
  tick();
  const timer = setInterval(tick, options.everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
