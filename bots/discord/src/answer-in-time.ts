/**
 * Discord drops an interaction that gets no response within 3 seconds. Work that finishes in time is answered
 * directly; slower work is answered with "thinking…" first (a deferred response) and the reply follows.
 */
export type InTime<T> = { done: true; value: T } | { done: false; later: Promise<T> };

/** Default wait before deferring: leaves a second of Discord's three for the network. */
export const DEFER_AFTER_MS = 2_000;

/** With `deferAfterMs` of 0 or less the answer is always deferred (a deployment that knows its work is slow). */
export async function answerInTime<T>(work: Promise<T>, deferAfterMs: number): Promise<InTime<T>> {
  if (deferAfterMs <= 0) return { done: false, later: work };
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), deferAfterMs);
  });
  try {
    const first = await Promise.race([work.then((value) => ({ value })), late]);
    return first === "late" ? { done: false, later: work } : { done: true, value: first.value };
  } finally {
    clearTimeout(timer);
  }
}
