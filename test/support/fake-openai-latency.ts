/**
 * What the fake OpenAI server can do to time, beyond a fixed latency: a heavy-tailed call
 * latency (lognormal, as real LLM latencies are) and 429s that come in bursts.
 *
 * The 429s model the provider's own capacity refusing calls for a moment, not the account's
 * rate budget: their rate-limit headers say budget is left (x-ratelimit-remaining-* well above
 * 0) unless `budgetLeft` is false. The processor backs off such a call alone and keeps the pool
 * going; a 429 that says the budget is spent (or says nothing) holds the whole pool.
 */

/** The standard normal's 99th percentile: p99 = median · e^(σ · Z99). */
export const Z99 = 2.3263478740408408;

export interface LognormalLatency {
  medianMs: number;
  p99Ms: number;
}

export function lognormalSigma(m: LognormalLatency): number {
  return Math.log(m.p99Ms / m.medianMs) / Z99;
}

/** The distribution's mean: median · e^(σ²/2). */
export function lognormalMeanMs(m: LognormalLatency): number {
  const s = lognormalSigma(m);
  return m.medianMs * Math.exp((s * s) / 2);
}

/** Draws latencies from the lognormal with that median and p99 (Box–Muller on the given PRNG). */
export function lognormalSampler(m: LognormalLatency, random: () => number): () => number {
  const sigma = lognormalSigma(m);
  return () => {
    const u = 1 - random(); // (0, 1]: log(0) must not happen
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
    return m.medianMs * Math.exp(sigma * z);
  };
}

export interface ThrottleBursts {
  /** Share of requests answered 429, over a long run. */
  share: number;
  /** Retry-After, in whole seconds, drawn per burst from [min, max]. */
  retryAfterSeconds: [number, number];
  /** Requests in a row that a burst answers 429. */
  burst: number;
  /** The 429's rate-limit headers say budget is left (default), or that it is spent. */
  budgetLeft?: boolean;
}

export interface Throttle {
  /** For each request in arrival order: the 429 to answer, or undefined to serve it. */
  next(): { retryAfterSeconds: number; headers: Record<string, string> } | undefined;
}

export function createThrottle(t: ThrottleBursts, random: () => number): Throttle {
  const burst = Math.max(1, Math.floor(t.burst));
  const [lo, hi] = t.retryAfterSeconds;
  let left = 0;
  let retryAfterSeconds = lo;
  const remaining = t.budgetLeft === false ? '0' : undefined;
  return {
    next() {
      if (left === 0 && random() < t.share / burst) {
        left = burst;
        retryAfterSeconds = lo + Math.floor(random() * (hi - lo + 1));
      }
      if (left === 0) return undefined;
      left--;
      return {
        retryAfterSeconds,
        headers: {
          'retry-after': String(retryAfterSeconds),
          'x-ratelimit-limit-requests': '10000',
          'x-ratelimit-remaining-requests': remaining ?? '9000',
          'x-ratelimit-reset-requests': `${retryAfterSeconds}s`,
          'x-ratelimit-limit-tokens': '10000000',
          'x-ratelimit-remaining-tokens': remaining ?? '9000000',
          'x-ratelimit-reset-tokens': `${retryAfterSeconds}s`,
        },
      };
    },
  };
}
