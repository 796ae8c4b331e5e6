/**
 * The shared pool's composition (slot → hold → RPM → TPM → hold → call), here on unclustered
 * Bottleneck limiters. On Redis it is the same code with clustered limiters and a Redis hold
 * store: test/integration/redis-limiter.test.ts, pool-conformance.test.ts and the scale-out
 * tests. The pool of one instance is local-pool.ts (pool-conformance.test.ts).
 */
import Bottleneck from 'bottleneck';
import { afterEach, describe, expect, it } from 'vitest';
import type { LlmLimiter } from '../../src/llm/limiter/limiter.ts';
import type { HoldStore } from '../../src/llm/limiter/hold-store.ts';
import { bucketOptions, createPoolLimiter } from '../../src/llm/limiter/pool-limiter.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { sleep } from '../support/time.ts';

/** The hold store of one process: Redis's key and its TTL, as a variable and a clock. */
function createLocalHoldStore(now: () => number = Date.now): HoldStore {
  let until = 0;
  let why = '';
  return {
    async current() {
      const left = until - now();
      return left > 0 ? { remainingMs: left, reason: why } : undefined;
    },
    async extend(ms, reason) {
      if (now() + ms <= until) return false;
      until = now() + ms;
      why = reason;
      return true;
    },
  };
}

const limiters: LlmLimiter[] = [];
afterEach(async () => {
  await Promise.all(limiters.splice(0).map((l) => l.stop()));
});

function pool(opts: { slots?: number; holds?: HoldStore; expirationMs?: number; rpm?: { capacity: number; amount: number; intervalMs: number }; tpm?: { capacity: number; amount: number; intervalMs: number } } = {}): LlmLimiter {
  const slots = new Bottleneck({ maxConcurrent: opts.slots ?? 3 });
  const rpm = opts.rpm ? new Bottleneck(bucketOptions(opts.rpm)) : undefined;
  const tpm = opts.tpm ? { limiter: new Bottleneck(bucketOptions(opts.tpm)), bucket: opts.tpm } : undefined;
  const l = createPoolLimiter({
    scope: 'local', slots, rpm, tpm, holds: opts.holds ?? createLocalHoldStore(), expirationMs: opts.expirationMs ?? 60_000, logger: silentLogger(),
    close: async () => undefined,
  });
  limiters.push(l);
  return l;
}

/** Runs n calls of durationMs through the limiter; returns start times and the max in flight. */
async function run(l: LlmLimiter, n: number, durationMs: number, weight = 1) {
  let inFlight = 0;
  let max = 0;
  const starts: number[] = [];
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: n }, () =>
      l.schedule(weight, async () => {
        starts.push(Date.now() - t0);
        max = Math.max(max, ++inFlight);
        await sleep(durationMs);
        inFlight--;
      }),
    ),
  );
  return { starts: starts.sort((a, b) => a - b), max };
}

describe('pool limiter', () => {
  it('never has more calls in flight than slots', async () => {
    const { max } = await run(pool({ slots: 3 }), 12, 30);
    expect(max).toBe(3);
  });

  it('returns the call result and passes its error through', async () => {
    const l = pool();
    await expect(l.schedule(1, async () => 42)).resolves.toBe(42);
    await expect(l.schedule(1, async () => { throw new Error('boom'); })).rejects.toThrow('boom');
  });

  it('starts no call during a hold, and resumes after it', async () => {
    const l = pool();
    const t0 = Date.now();
    l.hold(300, 'HTTP 429');
    const { starts } = await run(l, 4, 10);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(Math.min(...starts)).toBeGreaterThanOrEqual(280);
  });

  it('a hold that begins while calls are queued applies to them', async () => {
    const l = pool({ slots: 1 });
    const started: number[] = [];
    const t0 = Date.now();
    const first = l.schedule(1, async () => {
      started.push(Date.now() - t0);
      l.hold(300, 'x-ratelimit-remaining-requests: 0');
      await sleep(20);
    });
    const second = l.schedule(1, async () => void started.push(Date.now() - t0));
    await Promise.all([first, second]);
    expect(started[0]!).toBeLessThan(100);
    expect(started[1]!).toBeGreaterThanOrEqual(280);
  });

  it('shares a hold through its store: a hold on one limiter holds the other (as Redis does across instances)', async () => {
    const shared = createLocalHoldStore();
    const a = pool({ holds: shared });
    const b = pool({ holds: shared });
    a.hold(300, 'HTTP 429 (Retry-After: 0.3 s)');
    await sleep(20); // the store write is asynchronous, as a Redis write is
    const t0 = Date.now();
    await b.schedule(1, async () => undefined);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  });

  it('throttles with an RPM bucket: the burst at once, then one per interval', async () => {
    const { starts } = await run(pool({ slots: 10, rpm: { capacity: 2, amount: 1, intervalMs: 250 } }), 5, 1);
    // The burst: the second call did not wait for the first refill, due 250 ms in. (Not "at
    // once" to the millisecond: on a loaded machine the second start can lag by 100 ms.)
    expect(starts[1]!).toBeLessThan(250);
    // Local Bottleneck applies increments on its 250 ms heartbeat: three more need ≥ 3 intervals.
    expect(starts[4]!).toBeGreaterThanOrEqual(600);
  });

  it('weighs calls in tokens with a TPM bucket, and runs a call larger than the bucket in turns', async () => {
    const l = pool({ slots: 10, tpm: { capacity: 100, amount: 100, intervalMs: 250 } });
    expect(l.weighted).toBe(true);
    const t0 = Date.now();
    await l.schedule(250, async () => undefined); // 100 now, 100 + 50 after two increments
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
  });

  it('is unweighted without TPM', () => {
    expect(pool().weighted).toBe(false);
    expect(pool({ rpm: { capacity: 5, amount: 1, intervalMs: 1000 } }).weighted).toBe(false);
  });

  it('returns the answer of a call that outlived its slot expiration instead of failing it', async () => {
    const l = pool({ expirationMs: 50 });
    await expect(l.schedule(1, async () => { await sleep(150); return 'late but paid for'; })).resolves.toBe('late but paid for');
  });
});
