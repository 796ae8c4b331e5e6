/**
 * The parts of the local pool that need no clock: the fair queue's order, and the token bucket
 * against the window bound the rate limits promise (bucketMaxInWindow, under the limit).
 */
import { describe, expect, it } from 'vitest';
import { createFairQueue } from '../../src/llm/limiter/fair-queue.ts';
import { bucketFor, bucketMaxInWindow } from '../../src/llm/limiter/limiter-settings.ts';
import { createTokenBucket } from '../../src/llm/limiter/token-bucket.ts';
import { mulberry32 } from '../support/random.ts';

describe('fair queue', () => {
  it('serves lanes in turn, each in its own order', () => {
    const q = createFairQueue<string>();
    for (let i = 1; i <= 4; i++) q.push('a', `a${i}`);
    q.push('b', 'b1');
    q.push('b', 'b2');
    q.push('c', 'c1');
    const out: string[] = [];
    for (let x = q.shift(); x !== undefined; x = q.shift()) out.push(x);
    expect(out).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'a3', 'a4']);
    expect(q.size).toBe(0);
  });

  it('a lane that empties and comes back takes its turn at the back', () => {
    const q = createFairQueue<string>();
    q.push('a', 'a1');
    q.push('b', 'b1');
    expect(q.shift()).toBe('a1');
    q.push('a', 'a2'); // a had nothing left: it queues behind b
    q.push('b', 'b2');
    expect([q.shift(), q.shift(), q.shift(), q.shift()]).toEqual(['b1', 'a2', 'b2', undefined]);
  });

  it("serves a lane's oldest document first, and equals in the order they came", () => {
    const q = createFairQueue<string>();
    q.push('a', 'a-offset-9', 9);
    q.push('a', 'a-offset-2', 2);
    q.push('b', 'b-offset-5', 5);
    q.push('a', 'a-offset-2-again', 2);
    q.push('a', 'a-offset-4', 4);
    const out: string[] = [];
    for (let x = q.shift(); x !== undefined; x = q.shift()) out.push(x);
    expect(out).toEqual(['a-offset-2', 'b-offset-5', 'a-offset-2-again', 'a-offset-4', 'a-offset-9']);
  });

  it('keeps the order of a long lane', () => {
    const q = createFairQueue<number>();
    for (let i = 0; i < 5000; i++) q.push('only', i);
    const out: number[] = [];
    for (let i = 0; i < 3000; i++) out.push(q.shift()!);
    for (let i = 5000; i < 6000; i++) q.push('only', i);
    for (let x = q.shift(); x !== undefined; x = q.shift()) out.push(x);
    expect(out).toEqual(Array.from({ length: 6000 }, (_, i) => i));
  });
});

describe('token bucket', () => {
  it('lets its capacity through at once, then `amount` per interval, and says how long to wait', () => {
    const b = createTokenBucket({ capacity: 3, amount: 2, intervalMs: 1000 }, 0);
    expect([b.tryTake(1, 0), b.tryTake(1, 0), b.tryTake(1, 0), b.tryTake(1, 0)]).toEqual([true, true, true, false]);
    expect(b.msUntil(1, 250)).toBe(750);
    expect(b.msUntil(3, 250)).toBe(1750);
    expect(b.tryTake(2, 1000)).toBe(true);
    expect(b.tryTake(1, 1999)).toBe(false);
    // Never above capacity, however long it was idle.
    expect(b.tryTake(3, 60_000)).toBe(true);
    expect(b.tryTake(1, 60_000)).toBe(false);
  });

  it('never lets more through in any 60 s window than the bound its limit was sized for', () => {
    for (const limit of [3, 60, 500, 90_000]) {
      const bucket = bucketFor(limit);
      const b = createTokenBucket(bucket, 0);
      const random = mulberry32(limit);
      const taken: number[] = [];
      // Greedy callers at random moments for ten minutes, each asking for 1 … capacity tokens.
      for (let t = 0; t < 600_000; t += Math.floor(random() * 400)) {
        const n = 1 + Math.floor(random() * bucket.capacity);
        if (b.tryTake(n, t)) for (let i = 0; i < n; i++) taken.push(t);
      }
      let worst = 0;
      for (let i = 0, j = 0; i < taken.length; i++) {
        while (taken[i]! - taken[j]! >= 60_000) j++;
        worst = Math.max(worst, i - j + 1);
      }
      expect(worst, `limit ${limit}`).toBeLessThanOrEqual(bucketMaxInWindow(bucket, 60_000));
      expect(worst, `limit ${limit}`).toBeLessThanOrEqual(Math.max(3, limit));
    }
  });
});
