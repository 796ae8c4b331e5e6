/**
 * LLM_RPM / LLM_TPM for one process: the bucket limiter-settings.ts sizes (`amount` tokens every
 * `intervalMs`, never above `capacity`), counted from the clock when asked. It needs no timer of
 * its own: the pool asks how long until enough is there and sets one timer for that wait only.
 * Increments land exactly on their grid, never late, so no 60 s window sees more than
 * bucketMaxInWindow (which allows for Bottleneck applying them up to a heartbeat late).
 */
import type { Bucket } from './limiter-settings.ts';

export interface TokenBucket {
  /** Takes n tokens (n ≤ capacity) when they are there; false, taking none, otherwise. */
  tryTake(n: number, now: number): boolean;
  /** Milliseconds until n tokens are there; 0 when they are now. */
  msUntil(n: number, now: number): number;
  readonly bucket: Bucket;
}

export function createTokenBucket(bucket: Bucket, start: number): TokenBucket {
  let tokens = bucket.capacity;
  /** The grid point the last increment was counted at. */
  let counted = start;

  function refill(now: number): void {
    const steps = Math.floor((now - counted) / bucket.intervalMs);
    if (steps <= 0) return;
    tokens = Math.min(bucket.capacity, tokens + steps * bucket.amount);
    counted += steps * bucket.intervalMs;
  }

  return {
    bucket,
    tryTake(n, now) {
      refill(now);
      if (tokens < n) return false;
      tokens -= n;
      return true;
    },
    msUntil(n, now) {
      refill(now);
      if (tokens >= n) return 0;
      const increments = Math.ceil((n - tokens) / bucket.amount);
      return counted + increments * bucket.intervalMs - now;
    },
  };
}
