/**
 * Pure parsing of the rate-limit headers an OpenAI-compatible API sends, so a shared limiter
 * can hold back before the next request instead of learning from another 429.
 */
import type { RateLimitSignal } from './provider.ts';

/** What we read from: a fetch `Headers`, or anything with the same `get`. */
export interface HeaderReader {
  get(name: string): string | null;
}

export const DEFAULT_RATE_LIMIT_HOLD_MS = 1000;

/** Longest wait we take from a header: a larger value is more likely a bug than a plan. */
const MAX_HOLD_MS = 10 * 60_000;

/**
 * The wait a 429 (or 503) asked for: `retry-after-ms` first (OpenAI's own), then `retry-after`
 * as seconds or as an HTTP date. Undefined when neither is present or parseable.
 */
export function parseRetryAfterMs(headers: HeaderReader, now: number = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '') {
    const n = Number(ms.trim());
    if (Number.isFinite(n) && n >= 0) return clamp(n);
  }
  const ra = headers.get('retry-after');
  if (ra === null || ra.trim() === '') return undefined;
  const text = ra.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return clamp(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return clamp(Math.max(0, at - now));
}

/**
 * OpenAI's reset durations: "1s", "6m0s", "250ms", "1.5s", "1h2m3.5s", "17ms". A bare number
 * is read as seconds (what some compatible servers send). Undefined when unparseable.
 */
export function parseResetDurationMs(text: string | null | undefined): number | undefined {
  if (text === null || text === undefined) return undefined;
  const s = text.trim();
  if (s === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(s)) return clamp(Number(s) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(re)) {
    if (m.index !== consumed) return undefined;
    consumed += m[0].length;
    const n = Number(m[1]);
    const unit = m[2];
    total += unit === 'ms' ? n : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n * 3_600_000;
  }
  if (consumed === 0 || consumed !== s.length) return undefined;
  return clamp(total);
}

/**
 * Whether a response's rate-limit headers say the account's budget is left: at least one
 * x-ratelimit-remaining-requests / -tokens header, and every one present above zero. A 429 that
 * says so refused this call for another reason (the provider's capacity, a burst): the call
 * backs off alone, as its Retry-After asks, and the pool goes on. One 429 holding every slot
 * for 1–3 s would stall the pool for seconds at a time when 5 % of calls are refused: other
 * calls would have gone through.
 */
export function budgetLeft(headers: HeaderReader): boolean {
  let seen = 0;
  for (const kind of ['requests', 'tokens'] as const) {
    const v = headers.get(`x-ratelimit-remaining-${kind}`)?.trim();
    if (v === undefined || v === '') continue;
    if (!(Number(v) > 0)) return false;
    seen++;
  }
  return seen > 0;
}

/**
 * The signal one HTTP response carries for the whole pool, if any: a 429 (hold for its
 * Retry-After, else 1 s) unless its headers say the budget is left (budgetLeft: that call alone
 * backs off), or a remaining-requests / remaining-tokens budget of zero (hold until its reset).
 * When several apply, the longest hold wins.
 */
export function rateLimitSignalFrom(
  status: number,
  headers: HeaderReader,
  now: number = Date.now(),
): RateLimitSignal | undefined {
  const found: RateLimitSignal[] = [];
  if (status === 429 && !budgetLeft(headers)) {
    const retryAfter = parseRetryAfterMs(headers, now);
    found.push({ holdMs: retryAfter ?? DEFAULT_RATE_LIMIT_HOLD_MS, reason: 'http 429' });
  }
  for (const kind of ['requests', 'tokens'] as const) {
    const remaining = headers.get(`x-ratelimit-remaining-${kind}`);
    if (remaining === null || Number(remaining.trim()) !== 0 || remaining.trim() === '') continue;
    const reset = parseResetDurationMs(headers.get(`x-ratelimit-reset-${kind}`));
    found.push({ holdMs: reset ?? DEFAULT_RATE_LIMIT_HOLD_MS, reason: `remaining ${kind} 0` });
  }
  if (found.length === 0) return undefined;
  return found.reduce((a, b) => (b.holdMs > a.holdMs ? b : a));
}

function clamp(ms: number): number {
  return Math.min(MAX_HOLD_MS, Math.max(0, Math.round(ms)));
}
