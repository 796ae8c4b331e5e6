/**
 * Calls take their turns (fair-queue.ts) for the shared pool too. Bottleneck's queue is first come, first served,
 * so this instance hands it at most `slots` calls at a time (more could never run at once
 * anyway: the pool is `slots` for the whole deployment) and picks which ones from its own fair
 * queue. The order between instances stays Bottleneck's.
 */
import { createFairQueue, settleAfter, type Waiter } from './fair-queue.ts';
import type { LlmLimiter, Turn } from './limiter.ts';

interface Waiting extends Waiter {
  weight: number;
  turn: Turn | undefined;
  fn: () => Promise<unknown>;
}

export function withFairAdmission(inner: LlmLimiter, slots: number): LlmLimiter {
  const queue = createFairQueue<Waiting>();
  let admitted = 0;

  function admit(all = false): void {
    while (all || admitted < slots) {
      const w = queue.shift();
      if (!w) return;
      admitted++;
      settleAfter(inner.schedule(w.weight, w.fn, w.turn), () => {
        admitted--;
        admit();
      }, w);
    }
  }

  return {
    ...inner,
    schedule<T>(weight: number, fn: () => Promise<T>, turn?: Turn): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push(turn?.lane ?? '', { weight, turn, fn, resolve: resolve as (v: unknown) => void, reject }, turn?.order);
        admit();
      });
    },
    async stop() {
      // What still waits here goes to the shared pool at once: its stop then runs every call
      // queued before it, and refuses the ones after, as it would have without this queue.
      admit(true);
      await inner.stop();
    },
  };
}
