import type { EntryKind, Via } from "@tally/db";
import type { ErrorCode } from "./errors.ts";

/**
 * What happened, told after the fact so a door can count it (the API's /metrics) without core knowing how.
 * Writes report after they commit: entries written, or the replay of an earlier request, or a refusal by code.
 */
export type LedgerEvent =
  | { type: "entries"; kind: EntryKind; via: Via; count: number }
  | { type: "replay"; via: Via }
  | { type: "refusal"; code: ErrorCode; via: Via }
  | { type: "command"; platform: "discord" | "slack"; outcome: "ok" | "refused" | "failed" };

export type LedgerObserver = (event: LedgerEvent) => void;

/** A set of observers; a throwing observer is ignored so that counting never fails a write. */
export function createObservers() {
  const observers = new Set<LedgerObserver>();
  return {
    /** Adds an observer and returns the function that removes it. */
    observe(observer: LedgerObserver): () => void {
      observers.add(observer);
      return () => observers.delete(observer);
    },
    emit(event: LedgerEvent): void {
      for (const observer of observers) {
        try {
          observer(event);
        } catch {}
      }
    },
  };
}
