/**
 * Runs tasks one after another per key, in the order they were handed in; tasks of different keys run at once.
 * Discord's gateway (and Slack's Socket Mode) deliver a message's reaction events in order, but a handler that awaits
 * before it writes (Discord's member lookup, Slack's users.info) let a removal overtake its add: the removal found no
 * gift to take back, and the add then gave points for a reaction that was gone. A failed task does not stop the next.
 */
export function inOrderPerKey() {
  const tails = new Map<string, Promise<void>>();
  const run = <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const result = (tails.get(key) ?? Promise.resolve()).then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return result;
  };
  /** Keys with a task queued or running (none once all have settled: the map does not grow with keys seen). */
  run.pending = () => tails.size;
  return run;
}
