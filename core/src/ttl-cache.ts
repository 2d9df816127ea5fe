/**
 * A process's short-lived copy of something it would otherwise read on every request. It keeps the read's promise,
 * so concurrent misses share one read; a read that fails is dropped at once, and when the cache is full the oldest
 * entry goes. `forget` and `clear` are for changes this process makes or hears about (LISTEN/NOTIFY); the age limit
 * bounds how long a change nobody announced can go unseen.
 */
export function createTtlCache<V>(ttlMs: number, read: (key: string) => Promise<V>, maxEntries = 10_000) {
  const entries = new Map<string, { at: number; value: Promise<V> }>();
  return {
    get(key: string): Promise<V> {
      const now = Date.now();
      const hit = entries.get(key);
      if (hit && now - hit.at < ttlMs) return hit.value;
      entries.delete(key);
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
      const entry = { at: now, value: read(key) };
      entries.set(key, entry);
      // Only this entry: a newer read for the same key may already have replaced it.
      entry.value.catch(() => entries.get(key) === entry && entries.delete(key));
      return entry.value;
    },
    forget(key: string): void {
      entries.delete(key);
    },
    clear(): void {
      entries.clear();
    },
  };
}
