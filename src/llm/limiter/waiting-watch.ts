/**
 * A pool as one caller sees it: the same pool, with a count of this caller's calls that wait
 * for a slot. The shadow candidate reads the primary's count: a call of the primary waiting
 * means the pool is tight, and the shadow starts nothing then.
 */
import type { LlmLimiter } from './limiter.ts';

export function watchWaiting(limiter: LlmLimiter): { limiter: LlmLimiter; waiting(): number } {
  let waiting = 0;
  return {
    limiter: {
      scope: limiter.scope,
      weighted: limiter.weighted,
      async schedule(weight, fn, turn) {
        waiting++;
        let started = false;
        try {
          return await limiter.schedule(weight, () => {
            started = true;
            waiting--;
            return fn();
          }, turn);
        } finally {
          if (!started) waiting--;
        }
      },
      hold: (ms, reason) => limiter.hold(ms, reason),
      running: () => limiter.running(),
      stop: () => limiter.stop(),
      ...(limiter.store ? { store: limiter.store } : {}),
    },
    waiting: () => waiting,
  };
}
