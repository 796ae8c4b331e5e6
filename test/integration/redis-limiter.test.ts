/**
 * The shared LLM pool on the real Redis: several limiters with one pool id behave as one pool,
 * a hold told to one holds all, a SIGKILLed holder's slots come back after the job expiration,
 * and a stopped limiter leaves no connection behind. Each test has its own pool id and deletes
 * its keys.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { LlmLimiter } from '../../src/llm/limiter/limiter.ts';
import { createRedisLimiter } from '../../src/llm/limiter/redis-limiter.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { deletePoolKeys, poolKeys, TEST_REDIS_URL, uniquePoolId, withRedis } from '../support/redis.ts';
import { sleep } from '../support/time.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
let limiters: LlmLimiter[] = [];
let pools: string[] = [];

afterEach(async () => {
  await Promise.all(limiters.map((l) => l.stop()));
  limiters = [];
  for (const p of pools) await deletePoolKeys(p);
  pools = [];
});

function limiter(poolId: string, opts: { slots?: number; expirationMs?: number; tpm?: { capacity: number; amount: number; intervalMs: number } } = {}): LlmLimiter {
  if (!pools.includes(poolId)) pools.push(poolId);
  const l = createRedisLimiter({
    redisUrl: TEST_REDIS_URL, poolId, slots: opts.slots ?? 3, tpm: opts.tpm, expirationMs: opts.expirationMs ?? 30_000, logger: silentLogger(),
  });
  limiters.push(l);
  return l;
}

describe('shared LLM pool on Redis', () => {
  it('holds three instances to one pool of 3 slots', async () => {
    const pool = uniquePoolId();
    const instances = [limiter(pool), limiter(pool), limiter(pool)];
    expect(instances.every((l) => l.scope === 'global')).toBe(true);
    let inFlight = 0;
    let max = 0;
    let done = 0;
    await Promise.all(
      instances.flatMap((l) =>
        Array.from({ length: 8 }, () =>
          l.schedule(1, async () => {
            max = Math.max(max, ++inFlight);
            await sleep(40);
            inFlight--;
            done++;
          }),
        ),
      ),
    );
    expect(done).toBe(24);
    expect(max).toBe(3);
  });

  it('a hold told to one instance holds the calls of the others', async () => {
    const pool = uniquePoolId();
    const [a, b] = [limiter(pool), limiter(pool)];
    await b.schedule(1, async () => undefined); // b is connected and idle
    a.hold(1500, 'HTTP 429 (Retry-After: 1.5 s)');
    await sleep(100); // the hold reaches Redis asynchronously
    const t0 = Date.now();
    await b.schedule(1, async () => undefined);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1200);
    const ttl = await withRedis((r) => r.pttl(`${pool}:hold-until`));
    expect(ttl).toBeLessThanOrEqual(0); // the hold is over and its key gone
  });

  it('a shorter hold does not cut a longer one short', async () => {
    const pool = uniquePoolId();
    const a = limiter(pool);
    a.hold(2000, 'long');
    await sleep(50);
    a.hold(100, 'short');
    await sleep(50);
    const ttl = await withRedis((r) => r.pttl(`${pool}:hold-until`));
    expect(ttl).toBeGreaterThan(1500);
    expect(await withRedis((r) => r.get(`${pool}:hold-until`))).toBe('long');
  });

  it('gives back the slots of a SIGKILLed instance once its jobs expire', async () => {
    const pool = uniquePoolId();
    pools.push(pool);
    // An instance that takes both slots with calls that never end, then dies without a word.
    const script = `
      import { createRedisLimiter } from './src/llm/limiter/redis-limiter.ts';
      import { silentLogger } from './src/observability/logger.ts';
      const l = createRedisLimiter({ redisUrl: ${JSON.stringify(TEST_REDIS_URL)}, poolId: ${JSON.stringify(pool)}, slots: 2, expirationMs: 3000, logger: silentLogger() });
      for (let i = 0; i < 2; i++) l.schedule(1, () => new Promise(() => {}));
      while ((await l.running()) < 2) await new Promise((r) => setTimeout(r, 50));
      process.stdout.write('taken\\n');
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => d.toString().includes('taken') && resolve());
      child.once('exit', (code) => reject(new Error(`holder exited early (${code})`)));
    });
    const killedAt = Date.now();
    child.kill('SIGKILL');
    const survivor = limiter(pool, { slots: 2, expirationMs: 3000 });
    expect(await survivor.running()).toBe(2); // the dead instance's slots are still counted
    await survivor.schedule(1, async () => undefined);
    const waited = Date.now() - killedAt;
    // Freed at the jobs' expiration (3 s after they started), seen on the next tick (≤ 5 s heartbeat).
    expect(waited).toBeGreaterThanOrEqual(1500);
    expect(waited).toBeLessThan(10_000);
  }, 30_000);

  it('takes tokens from one shared TPM bucket across instances', async () => {
    const pool = uniquePoolId();
    const tpm = { capacity: 100, amount: 50, intervalMs: 1000 };
    const [a, b] = [limiter(pool, { slots: 10, tpm }), limiter(pool, { slots: 10, tpm })];
    expect(a.weighted).toBe(true);
    const t0 = Date.now();
    const starts: number[] = [];
    // 6 × 50 tokens: 100 at once, then 50 a second across both instances → the last ≥ 3 s.
    await Promise.all([a, b, a, b, a, b].map((l) => l.schedule(50, async () => void starts.push(Date.now() - t0))));
    starts.sort((x, y) => x - y);
    expect(starts[1]!).toBeLessThan(800);
    expect(starts[5]!).toBeGreaterThanOrEqual(2500);
  }, 20_000);

  it('stops cleanly, and its keys are only those of its pool', async () => {
    const pool = uniquePoolId();
    const l = limiter(pool);
    await l.schedule(1, async () => undefined);
    l.hold(5000, 'test');
    await sleep(50);
    const keys = await poolKeys(pool);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((k) => k.startsWith(`b_${pool}`) || k.startsWith(`${pool}:`))).toBe(true);
    await l.stop();
    limiters = limiters.filter((x) => x !== l);
    const clients = await withRedis((r) => r.client('LIST') as Promise<string>);
    expect(clients).not.toContain(`name=llm-pool:${pool}`);
    expect(clients).not.toContain(`name=llm-pool-holds:${pool}`);
  });
});
