/**
 * Runs `task` now and then every `everyMs` in the background: a pass never overlaps the previous one, the timer never
 * keeps the process alive, and a failure (say, the database is away) is reported and retried on the next tick.
 */
export function startBackgroundTask(
  task: () => Promise<unknown>,
  options: { everyMs: number; onError?: ((error: unknown) => void) | undefined },
): { stop(): Promise<void> } {
  let running: Promise<unknown> | undefined;
  const tick = () => {
    if (running) return;
    running = task()
      .catch((error: unknown) => options.onError?.(error))
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
