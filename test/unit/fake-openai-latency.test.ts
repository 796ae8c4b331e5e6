/**
 * The fake server's heavy-tail models, as the heavy-tail benchmark relies on them: the lognormal
 * has the median and p99 it was given (and the mean the bound is computed from), and the 429s
 * come in bursts of the given length, at the given share, with a Retry-After in range and
 * rate-limit headers that say budget is left (or spent, when told so).
 */
import { describe, expect, it } from 'vitest';
import { createThrottle, lognormalMeanMs, lognormalSampler } from '../support/fake-openai-latency.ts';
import { mulberry32 } from '../support/random.ts';

const quantile = (sorted: number[], q: number) => sorted[Math.floor(q * (sorted.length - 1))]!;

describe('lognormal latency', () => {
  it('has the median and p99 it was given, and the mean the formula says', () => {
    const model = { medianMs: 800, p99Ms: 8000 };
    const draw = lognormalSampler(model, mulberry32(7));
    const xs = Array.from({ length: 200_000 }, draw).sort((a, b) => a - b);
    expect(quantile(xs, 0.5) / 800).toBeCloseTo(1, 1);
    expect(quantile(xs, 0.99) / 8000).toBeCloseTo(1, 1);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(lognormalMeanMs(model)).toBeCloseTo(1305.7, 0);
    expect(mean / lognormalMeanMs(model)).toBeCloseTo(1, 1);
    expect(xs[0]!).toBeGreaterThan(0);
  });
});

describe('429 bursts', () => {
  it('answers the given share of requests 429, in runs of the burst length, with Retry-After in range', () => {
    const t = createThrottle({ share: 0.05, retryAfterSeconds: [1, 3], burst: 3 }, mulberry32(3));
    const answers = Array.from({ length: 100_000 }, () => t.next());
    const refused = answers.filter((a) => a !== undefined);
    expect(refused.length / answers.length).toBeGreaterThan(0.04);
    expect(refused.length / answers.length).toBeLessThan(0.06);
    // Runs of refusals are whole bursts (back-to-back bursts make longer runs, never shorter ones).
    const runs: number[] = [];
    let run = 0;
    for (const a of answers) {
      if (a) run++;
      else if (run > 0) (runs.push(run), (run = 0));
    }
    expect(runs.every((r) => r % 3 === 0)).toBe(true);
    expect(new Set(refused.map((r) => r!.retryAfterSeconds))).toEqual(new Set([1, 2, 3]));
    expect(refused[0]!.headers).toMatchObject({ 'retry-after': String(refused[0]!.retryAfterSeconds), 'x-ratelimit-remaining-requests': '9000', 'x-ratelimit-remaining-tokens': '9000000' });
  });

  it('says the budget is spent when told to', () => {
    const t = createThrottle({ share: 1, retryAfterSeconds: [2, 2], burst: 1, budgetLeft: false }, mulberry32(1));
    expect(t.next()?.headers).toMatchObject({ 'retry-after': '2', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-remaining-tokens': '0' });
  });
});
