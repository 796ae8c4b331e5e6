/**
 * One contract, two pools: the same cases run against the pool of one instance (local-pool.ts)
 * and the pool shared through Redis (Bottleneck on the real Redis, a pool id of its own per
 * test, its keys deleted after). At most LLM_POOL_SLOTS calls on the wire, partitions served in
 * turn, the API's holds, the rate buckets, the budget guard's gate, running() and stop().
 * Times are only ever checked from below (a hold must last at least so long), never from above:
 * the machine may be slow, the pool may not be early.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createBudgetGuard } from '../../src/costs/budget/budget-guard.ts';
import { createIntakeControl } from '../../src/guards/intake-control.ts';
import type { Bucket } from '../../src/llm/limiter/limiter-settings.ts';
import type { LlmLimiter } from '../../src/llm/limiter/limiter.ts';
import { createLocalLimiter } from '../../src/llm/limiter/local-pool.ts';
import { createRedisLimiter } from '../../src/llm/limiter/redis-limiter.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { createRuntimeSettings } from '../../src/settings/runtime-settings.ts';
import { deletePoolKeys, TEST_REDIS_URL, uniquePoolId } from '../support/redis.ts';
import { sleep } from '../support/time.ts';

interface PoolOptions {
  slots: number;
  rpm?: Bucket;
  tpm?: Bucket;
}
type Make = (o: PoolOptions) => LlmLimiter;

let open: LlmLimiter[] = [];
let pools: string[] = [];
afterEach(async () => {
  await Promise.all(open.map((l) => l.stop().catch(() => undefined)));
  open = [];
  for (const p of pools) await deletePoolKeys(p);
  pools = [];
});

const local: Make = (o) => createLocalLimiter({ ...o, logger: silentLogger() });
const shared: Make = (o) => {
  const poolId = uniquePoolId('conformance');
  pools.push(poolId);
  return createRedisLimiter({ ...o, redisUrl: TEST_REDIS_URL, poolId, expirationMs: 30_000, logger: silentLogger() });
};

describe.each([
  ['the pool of one instance', 'local', local],
  ['the pool shared through Redis', 'global', shared],
] as const)('%s', (_name, scope, make) => {
  const pool = (o: PoolOptions) => {
    const l = make(o);
    open.push(l);
    return l;
  };

  /** Runs calls of durationMs, each in its lane; returns the lanes in the order their calls started and the most on the wire at once. */
  async function run(l: LlmLimiter, lanes: string[], durationMs: number) {
    let onWire = 0;
    let max = 0;
    const order: string[] = [];
    await Promise.all(lanes.map((lane) => l.schedule(1, async () => {
      order.push(lane);
      max = Math.max(max, ++onWire);
      await sleep(durationMs);
      onWire--;
    }, { lane })));
    return { order, max };
  }

  it('is the scope it says, and unweighted without LLM_TPM', () => {
    const l = pool({ slots: 2 });
    expect(l.scope).toBe(scope);
    expect(l.weighted).toBe(false);
    expect(pool({ slots: 2, tpm: { capacity: 100, amount: 10, intervalMs: 1000 } }).weighted).toBe(true);
  });

  it('never has more calls on the wire than its slots, and runs every call', async () => {
    const lanes = Array.from({ length: 24 }, (_, i) => `p${i % 4}`);
    const { order, max } = await run(pool({ slots: 3 }), lanes, 15);
    expect(order).toHaveLength(24);
    expect(max).toBe(3);
  });

  it("returns the call's value and passes its error through", async () => {
    const l = pool({ slots: 2 });
    await expect(l.schedule(1, async () => 42, { lane: 'p0' })).resolves.toBe(42);
    await expect(l.schedule(1, async () => { throw new Error('boom'); }, { lane: 'p0' })).rejects.toThrow('boom');
    await expect(l.schedule(1, () => { throw new Error('thrown before any promise'); })).rejects.toThrow('thrown before');
  });

  it('serves partitions in turn: a backlog in one does not starve another', async () => {
    const l = pool({ slots: 2 });
    // Partition a queues 30 calls, then partition b queues 3. First come, first served would
    // start b's calls 31st to 33rd; in turn, b's last starts within the first nine.
    const { order } = await run(l, [...Array<string>(30).fill('a'), 'b', 'b', 'b'], 15);
    expect(order).toHaveLength(33);
    expect(order.lastIndexOf('b')).toBeLessThan(9);
  });

  it('within a partition, starts the call of the oldest document first', async () => {
    const l = pool({ slots: 1 });
    let release!: () => void;
    const busy = l.schedule(1, () => new Promise<void>((r) => (release = r)), { lane: 'a', order: 0 });
    await sleep(100);
    const started: number[] = [];
    const queued = [7, 3, 9, 1, 3].map((order) => l.schedule(1, async () => void started.push(order), { lane: 'a', order }));
    release();
    await Promise.all([busy, ...queued]);
    expect(started).toEqual([1, 3, 3, 7, 9]);
  });

  it('starts no call during a hold, lets the calls on the wire finish, and resumes after it', async () => {
    const l = pool({ slots: 3 });
    let finished = false;
    const onWire = l.schedule(1, async () => { await sleep(300); finished = true; }, { lane: 'p0' });
    await sleep(50);
    const t0 = Date.now();
    l.hold(500, 'HTTP 429 (Retry-After: 0.5 s)');
    const starts: number[] = [];
    await Promise.all([1, 2, 3].map((i) => l.schedule(1, async () => void starts.push(Date.now() - t0), { lane: `p${i}` })));
    await onWire;
    expect(finished).toBe(true);
    expect(Math.min(...starts)).toBeGreaterThanOrEqual(450);
  });

  it('a hold that begins while calls wait for a slot applies to them', async () => {
    const l = pool({ slots: 1 });
    const t0 = Date.now();
    let second = 0;
    await Promise.all([
      l.schedule(1, async () => {
        l.hold(400, 'x-ratelimit-remaining-requests: 0');
        await sleep(20);
      }, { lane: 'p0' }),
      l.schedule(1, async () => void (second = Date.now() - t0), { lane: 'p1' }),
    ]);
    expect(second).toBeGreaterThanOrEqual(350);
  });

  it('a shorter hold does not cut a longer one short', async () => {
    const l = pool({ slots: 2 });
    const t0 = Date.now();
    l.hold(700, 'long');
    await sleep(50);
    l.hold(50, 'short');
    await l.schedule(1, async () => undefined, { lane: 'p0' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(650);
  });

  it('takes one request per call from an RPM bucket: its burst at once, then one per interval', async () => {
    const l = pool({ slots: 10, rpm: { capacity: 2, amount: 1, intervalMs: 300 } });
    const t0 = Date.now();
    const starts: number[] = [];
    await Promise.all([0, 1, 2, 3, 4].map((i) => l.schedule(1, async () => void starts.push(Date.now() - t0), { lane: `p${i}` })));
    starts.sort((a, b) => a - b);
    // Three more after the burst need three increments.
    expect(starts[4]!).toBeGreaterThanOrEqual(850);
  }, 20_000);

  it('weighs a call in tokens with a TPM bucket, and takes a call larger than the bucket in turns', async () => {
    const l = pool({ slots: 10, tpm: { capacity: 100, amount: 100, intervalMs: 300 } });
    const t0 = Date.now();
    await l.schedule(250, async () => undefined, { lane: 'p0' }); // 100 now, 100 and 50 after two increments
    expect(Date.now() - t0).toBeGreaterThanOrEqual(550);
  }, 20_000);

  it("under the budget guard's gate, a call waiting for a slot does not start once the budget is spent, and starts when it is raised", async () => {
    const settings = createRuntimeSettings({ qualityThreshold: 0.8, dailyBudgetUsd: 1 });
    let spent = 0n;
    const guard = createBudgetGuard({
      settings, intake: createIntakeControl(), instanceId: 'conformance', logger: silentLogger(),
      spendSource: { spend: () => ({ total: spent, instance: 0n }) },
    });
    guard.start();
    const l = guard.gateLimiter(pool({ slots: 1 }));
    let ranSecond = false;
    let release!: () => void;
    const first = l.schedule(1, () => new Promise<void>((r) => (release = r)), { lane: 'p0' });
    const second = l.schedule(1, async () => void (ranSecond = true), { lane: 'p1' });
    await sleep(200); // second is queued behind the slot first holds
    spent = 2_000_000_000_000n; // $2 of a $1 budget
    guard.evaluate();
    release();
    await first;
    await sleep(300);
    expect(ranSecond).toBe(false);
    settings.set('daily_budget_usd', 5);
    await second;
    expect(ranSecond).toBe(true);
    guard.stop();
  });

  it('counts the calls holding a slot', async () => {
    const l = pool({ slots: 2 });
    const seen: number[] = [];
    await Promise.all([0, 1, 2].map((i) => l.schedule(1, async () => {
      seen.push(await l.running());
      await sleep(100);
    }, { lane: `p${i}` })));
    expect(Math.max(...seen)).toBeLessThanOrEqual(2);
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(1);
    expect(await l.running()).toBe(0);
  });

  it('stop lets queued calls finish, then refuses new ones', async () => {
    const l = pool({ slots: 1 });
    const done: number[] = [];
    const queued = [0, 1, 2].map((i) => l.schedule(1, async () => {
      await sleep(30);
      done.push(i);
    }, { lane: 'p0' }));
    await sleep(10);
    await l.stop();
    await Promise.all(queued);
    expect(done).toEqual([0, 1, 2]);
    await expect(l.schedule(1, async () => 'late')).rejects.toThrow();
  });
});
