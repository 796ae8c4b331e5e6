import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RATE_LIMIT_HOLD_MS,
  parseResetDurationMs,
  budgetLeft,
  parseRetryAfterMs,
  rateLimitSignalFrom,
} from '../../src/llm/providers/rate-limit-headers.ts';

const h = (o: Record<string, string>) => new Headers(o);

describe('parseRetryAfterMs', () => {
  it('prefers retry-after-ms', () => {
    expect(parseRetryAfterMs(h({ 'retry-after-ms': '250', 'retry-after': '3' }))).toBe(250);
  });
  it('reads retry-after as seconds, fractional too', () => {
    expect(parseRetryAfterMs(h({ 'retry-after': '1' }))).toBe(1000);
    expect(parseRetryAfterMs(h({ 'retry-after': '1.5' }))).toBe(1500);
  });
  it('reads retry-after as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfterMs(h({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }), now)).toBe(5000);
    expect(parseRetryAfterMs(h({ 'retry-after': 'Wed, 31 Dec 2025 23:59:00 GMT' }), now)).toBe(0);
  });
  it('falls back from a bad retry-after-ms to retry-after', () => {
    expect(parseRetryAfterMs(h({ 'retry-after-ms': 'soon', 'retry-after': '2' }))).toBe(2000);
  });
  it('is undefined without usable headers', () => {
    expect(parseRetryAfterMs(h({}))).toBeUndefined();
    expect(parseRetryAfterMs(h({ 'retry-after': 'later' }))).toBeUndefined();
  });
  it('caps absurd values', () => {
    expect(parseRetryAfterMs(h({ 'retry-after': '86400' }))).toBe(600_000);
  });
});

describe('parseResetDurationMs', () => {
  it.each([
    ['1s', 1000],
    ['6m0s', 360_000],
    ['250ms', 250],
    ['1.5s', 1500],
    ['2m3.5s', 123_500],
    ['17ms', 17],
    ['2m', 120_000],
    ['1m30.25s', 90_250],
    ['3', 3000],
    [' 20ms ', 20],
  ])('%s → %d', (text, ms) => {
    expect(parseResetDurationMs(text)).toBe(ms);
  });
  it.each(['', 'soon', '1x', 's', '1s junk', 'ms1'])('rejects %j', (text) => {
    expect(parseResetDurationMs(text)).toBeUndefined();
  });
  it('caps at 10 minutes: a longer hold is re-learned from the next answer', () => {
    expect(parseResetDurationMs('1h2m3.5s')).toBe(600_000);
  });
  it('is undefined for a missing header', () => {
    expect(parseResetDurationMs(null)).toBeUndefined();
    expect(parseResetDurationMs(undefined)).toBeUndefined();
  });
});

describe('rateLimitSignalFrom', () => {
  it('says nothing for an ordinary response', () => {
    expect(rateLimitSignalFrom(200, h({ 'x-ratelimit-remaining-requests': '10' }))).toBeUndefined();
    expect(rateLimitSignalFrom(500, h({ 'retry-after': '5' }))).toBeUndefined();
  });
  it('holds for a 429 as long as Retry-After says', () => {
    expect(rateLimitSignalFrom(429, h({ 'retry-after': '1' }))).toEqual({ holdMs: 1000, reason: 'http 429' });
    expect(rateLimitSignalFrom(429, h({ 'retry-after-ms': '40' }))?.holdMs).toBe(40);
  });
  it('leaves the pool alone for a 429 whose headers say the budget is left: that call backs off alone', () => {
    const left = { 'retry-after': '2', 'x-ratelimit-remaining-requests': '900', 'x-ratelimit-remaining-tokens': '90000' };
    expect(rateLimitSignalFrom(429, h(left))).toBeUndefined();
    expect(budgetLeft(h(left))).toBe(true);
    expect(budgetLeft(h({ 'x-ratelimit-remaining-requests': '12' }))).toBe(true);
    // Spent on either, or nothing said: the account's budget, so the whole pool holds.
    expect(budgetLeft(h({ ...left, 'x-ratelimit-remaining-tokens': '0' }))).toBe(false);
    expect(rateLimitSignalFrom(429, h({ ...left, 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '3s' }))).toEqual({ holdMs: 3000, reason: 'remaining tokens 0' });
    expect(budgetLeft(h({ 'retry-after': '2' }))).toBe(false);
    expect(budgetLeft(h({ 'x-ratelimit-remaining-requests': 'soon' }))).toBe(false);
  });
  it('holds 1 s for a 429 without Retry-After', () => {
    expect(rateLimitSignalFrom(429, h({}))?.holdMs).toBe(DEFAULT_RATE_LIMIT_HOLD_MS);
  });
  it('holds until reset when a budget is spent', () => {
    expect(
      rateLimitSignalFrom(200, h({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '250ms' })),
    ).toEqual({ holdMs: 250, reason: 'remaining requests 0' });
    expect(
      rateLimitSignalFrom(200, h({ 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '6m0s' })),
    ).toEqual({ holdMs: 360_000, reason: 'remaining tokens 0' });
  });
  it('defaults the hold when the reset is missing or unreadable', () => {
    expect(rateLimitSignalFrom(200, h({ 'x-ratelimit-remaining-tokens': '0' }))?.holdMs).toBe(DEFAULT_RATE_LIMIT_HOLD_MS);
  });
  it('takes the longest hold when several apply', () => {
    const s = rateLimitSignalFrom(
      429,
      h({
        'retry-after': '1',
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '2s',
        'x-ratelimit-remaining-tokens': '0',
        'x-ratelimit-reset-tokens': '500ms',
      }),
    );
    expect(s).toEqual({ holdMs: 2000, reason: 'remaining requests 0' });
  });
  it('ignores an empty remaining header', () => {
    expect(rateLimitSignalFrom(200, h({ 'x-ratelimit-remaining-requests': '' }))).toBeUndefined();
  });
});
