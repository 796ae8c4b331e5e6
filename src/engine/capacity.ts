/**
 * The bound on work held by one process: documents in flight plus finished documents waiting
 * behind a gap. When it is full, intake waits (heartbeating) instead of growing memory.
 */
export interface Capacity {
  /** Waits for a slot; false if `stillWanted` turned false while waiting. */
  acquire(stillWanted: () => boolean, whileWaiting: () => Promise<void>): Promise<boolean>;
  release(): void;
  readonly used: number;
}

export function createCapacity(deps: { maxInFlight: number; maxPendingBytes: number; pendingBytes: () => number; heartbeatIntervalMs?: number }): Capacity {
  let used = 0;
  let waiters: (() => void)[] = [];
  // Shared by every acquire: a batch whose documents each wait a little (a slot frees every few
  // hundred ms) must still heartbeat once per interval in all, or the group evicts the member
  // in the middle of a long batch (the scale-out benchmark saw it: a 200-record batch at 5
  // docs/s, no heartbeat for its whole length, evicted after the 10 s session timeout).
  let lastBeat = Date.now();
  const full = () => used >= deps.maxInFlight || deps.pendingBytes() >= deps.maxPendingBytes;
  return {
    async acquire(stillWanted, whileWaiting) {
      while (full()) {
        if (!stillWanted()) return false;
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          // Re-check at least every 500 ms: pending bytes shrink on commit, not on release.
          setTimeout(resolve, 500);
        });
        if (Date.now() - lastBeat > (deps.heartbeatIntervalMs ?? 2000)) {
          await whileWaiting();
          lastBeat = Date.now();
        }
      }
      if (!stillWanted()) return false;
      used++;
      return true;
    },
    release() {
      used--;
      const w = waiters;
      waiters = [];
      for (const r of w) r();
    },
    get used() {
      return used;
    },
  };
}
