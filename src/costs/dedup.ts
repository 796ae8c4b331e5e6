/**
 * The call ids seen most recently, up to a fixed number. Transactions already make a re-read
 * record harmless (see aggregator.ts); this catches the other kind of duplicate: the same call
 * id written twice at different offsets (a producer re-sending after an unclear failure).
 * Such twins are written moments apart and, keyed by call id, land on the same partition, so
 * a window of the latest ids per aggregator is enough.
 */
export interface DedupWindow {
  /** True the first time an id is offered; it is then remembered. */
  firstTime(id: string): boolean;
  readonly size: number;
}

export function createDedupWindow(capacity: number): DedupWindow {
  const seen = new Set<string>();
  const ring: (string | undefined)[] = new Array<string | undefined>(Math.max(0, capacity));
  let next = 0;
  return {
    firstTime(id) {
      if (capacity <= 0) return true;
      if (seen.has(id)) return false;
      const evicted = ring[next];
      if (evicted !== undefined) seen.delete(evicted);
      ring[next] = id;
      next = (next + 1) % capacity;
      seen.add(id);
      return true;
    },
    get size() {
      return seen.size;
    },
  };
}
