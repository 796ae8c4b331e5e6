import { describe, expect, it } from 'vitest';
import { countTokens } from 'gpt-tokenizer';
import { bucketFor, bucketMaxInWindow, bucketSteadyPerMinute, chunkWeight, slotExpirationMs, type Bucket } from '../../src/llm/limiter/limiter-settings.ts';
import { withoutCredentials } from '../../src/util/redact.ts';

/**
 * Replays a bucket the way Bottleneck's Redis scripts do (increments on a grid, applied lazily
 * on ticks up to 2 s late, capped at capacity) against a greedy consumer, and returns the most
 * any sliding window of windowMs consumed.
 */
function simulatePeak(b: Bucket, windowMs: number, weight: number, runMs: number, tickMs: number): number {
  let reservoir = b.capacity;
  let lastIncrease = 0;
  const taken: number[] = [];
  for (let t = 0; t <= runMs; t += tickMs) {
    if (t >= lastIncrease + b.intervalMs) {
      const n = Math.floor((t - lastIncrease) / b.intervalMs);
      reservoir = Math.min(b.capacity, reservoir + n * b.amount);
      lastIncrease += n * b.intervalMs;
    }
    while (reservoir >= weight) {
      reservoir -= weight;
      taken.push(t);
    }
  }
  let peak = 0;
  for (let i = 0, j = 0; i < taken.length; i++) {
    while (taken[i]! - taken[j]! >= windowMs) j++;
    peak = Math.max(peak, (i - j + 1) * weight);
  }
  return peak;
}

describe('bucketFor: a token bucket no 60 s window can overrun', () => {
  const limits = [3, 4, 5, 7, 10, 30, 60, 100, 250, 500, 1000, 6000, 12_000, 90_000, 200_000, 2_000_000, 30_000_000];

  it.each(limits)('limit %i per minute: capacity + increments a window can see ≤ limit', (limit) => {
    const b = bucketFor(limit);
    expect(b.capacity).toBeGreaterThanOrEqual(1);
    expect(b.amount).toBeGreaterThanOrEqual(1);
    expect(b.intervalMs).toBeGreaterThanOrEqual(1000);
    expect(b.intervalMs % 250).toBe(0);
    expect(bucketMaxInWindow(b, 60_000)).toBeLessThanOrEqual(limit);
  });

  it.each([60, 1000, 12_000, 200_000])('limit %i: a greedy consumer, ticked late, stays under it in every sliding minute', (limit) => {
    const b = bucketFor(limit);
    for (const tick of [1000, 1900]) expect(simulatePeak(b, 60_000, 1, 5 * 60_000, tick)).toBeLessThanOrEqual(limit);
  });

  it('keeps most of a large limit: the steady rate is at least 80 % of it', () => {
    for (const limit of [1000, 12_000, 200_000, 2_000_000]) {
      expect(bucketSteadyPerMinute(bucketFor(limit))).toBeGreaterThanOrEqual(limit * 0.8);
    }
  });

  it('lets a burst of a tenth of the limit go at once after a quiet spell', () => {
    expect(bucketFor(200_000).capacity).toBe(20_000);
    expect(bucketFor(60).capacity).toBe(6);
  });

  it('treats limits under 3 per minute as 3', () => {
    expect(bucketFor(1)).toEqual(bucketFor(3));
    expect(bucketMaxInWindow(bucketFor(1), 60_000)).toBe(3);
  });
});

describe('chunkWeight: a call larger than the bucket takes it in turns', () => {
  it('splits into chunks no larger than the capacity, summing to the weight', () => {
    expect(chunkWeight(2500, 1000)).toEqual([1000, 1000, 500]);
    expect(chunkWeight(999, 1000)).toEqual([999]);
    expect(chunkWeight(1000, 1000)).toEqual([1000]);
  });

  it('counts at least one token and rounds fractions up', () => {
    expect(chunkWeight(0, 10)).toEqual([1]);
    expect(chunkWeight(10.2, 10)).toEqual([10, 1]);
  });

  it('weighs a call as call-step does: prompt tokens + max output tokens', () => {
    const system = 'You extract named entities from documents. Return JSON only.';
    const user = 'Extract the entities of this document.\n\nDocument:\n"""\nAcme Corp hired Jane Smith.\n"""';
    const weight = countTokens(`${system}\n${user}`) + 600;
    expect(weight).toBeGreaterThan(600);
    expect(chunkWeight(weight, 20_000)).toEqual([weight]);
  });
});

describe('slotExpirationMs: how long a dead instance keeps its slots', () => {
  it('outlasts the longest legitimate call: answer + repair, each with its SDK retries', () => {
    // 2 × (3 tries × 60 s + 2 Retry-After waits × 60 s) + 5 s
    expect(slotExpirationMs({ timeoutMs: 60_000, callRetries: 2 }, false)).toBe(605_000);
    expect(slotExpirationMs({ timeoutMs: 2_000, callRetries: 0 }, false)).toBe(9_000);
  });

  it('adds the rate-budget allowance when rate limits are on', () => {
    const plain = slotExpirationMs({ timeoutMs: 10_000, callRetries: 1 }, false);
    expect(slotExpirationMs({ timeoutMs: 10_000, callRetries: 1 }, true)).toBe(plain + 120_000);
  });
});

describe('a REDIS_URL in a log line (withoutCredentials)', () => {
  it('drops user and password', () => {
    expect(withoutCredentials('redis://user:s3cret@cache.internal:6380/2')).toBe('redis://cache.internal:6380/2');
    expect(withoutCredentials('redis://:s3cret@127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(withoutCredentials('rediss://cache')).toBe('rediss://cache');
  });
});
