/**
 * The result cache on the real Redis: shared across instances and restarts, namespaced by the
 * pool id, entries expire after LLM_CACHE_TTL, and a Redis that is down or holds garbage
 * makes a miss, never an error.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createCache } from '../../src/llm/cache/create-cache.ts';
import { createRedisCache } from '../../src/llm/cache/redis-cache.ts';
import { cacheKey, type ResultCache } from '../../src/llm/cache/result-cache.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { testConfig } from '../support/kafka.ts';
import { ownRedis } from '../support/redis-server.ts';
import { waitUntil } from '../support/time.ts';
import { deletePoolKeys, poolKeys, TEST_REDIS_URL, uniquePoolId, withRedis } from '../support/redis.ts';

let caches: ResultCache[] = [];
let pools: string[] = [];
afterEach(async () => {
  await Promise.all(caches.map((c) => c.close?.()));
  caches = [];
  for (const p of pools) await deletePoolKeys(p);
  pools = [];
});

function cacheFor(poolId: string, env: Record<string, string> = {}): ResultCache {
  pools.push(poolId);
  const c = createCache(testConfig({ REDIS_URL: TEST_REDIS_URL, LLM_POOL_ID: poolId, LLM_CACHE_SIZE: '100', ...env }), silentLogger());
  if (!c) throw new Error('no cache');
  caches.push(c);
  return c;
}

const key = cacheKey('extract', 'gpt-4o-mini', 'v1', { system: 's', user: 'u' });
const answer = { output: { people: ['Jane Smith'] }, model: 'gpt-4o-mini-2024-07-18' };

describe('Redis result cache', () => {
  it('is shared by instances and survives a restart', async () => {
    const pool = uniquePoolId('cache');
    const a = cacheFor(pool);
    expect(a.kind).toBe('redis');
    expect(await a.get(key)).toBeUndefined();
    await a.set(key, answer);
    await a.close?.();
    const b = cacheFor(pool);
    expect(await b.get(key)).toEqual(answer);
  });

  it('keeps entries for LLM_CACHE_TTL under the pool id', async () => {
    const pool = uniquePoolId('cache');
    const c = cacheFor(pool, { LLM_CACHE_TTL: '2h' });
    await c.set(key, answer);
    const keys = await poolKeys(pool);
    expect(keys).toEqual([`${pool}:${key}`]);
    const ttl = await withRedis((r) => r.pttl(keys[0]!));
    expect(ttl).toBeGreaterThan(2 * 3_600_000 - 10_000);
    expect(ttl).toBeLessThanOrEqual(2 * 3_600_000);
  });

  it('does not share answers between pools', async () => {
    const [p1, p2] = [uniquePoolId('cache'), uniquePoolId('cache')];
    await cacheFor(p1).set(key, answer);
    expect(await cacheFor(p2).get(key)).toBeUndefined();
  });

  it('reads an entry it cannot parse as a miss', async () => {
    const pool = uniquePoolId('cache');
    const c = cacheFor(pool);
    await withRedis((r) => r.set(`${pool}:${key}`, '{"not": "an answer"'));
    expect(await c.get(key)).toBeUndefined();
    await withRedis((r) => r.set(`${pool}:${key}`, JSON.stringify({ output: 1 })));
    expect(await c.get(key)).toBeUndefined();
  });

  it('asks Redis for the lookups of one turn in one MGET, each answered with its own entry', async () => {
    const pool = uniquePoolId('cache');
    pools.push(pool);
    const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    let reads = 0;
    const watched = {
      mget: ((keys: string[]) => {
        reads++;
        return redis.mget(keys);
      }) as Redis['mget'],
      set: redis.set.bind(redis), quit: redis.quit.bind(redis), disconnect: redis.disconnect.bind(redis),
    };
    const c = createRedisCache({ redis: watched, prefix: `${pool}:`, ttlMs: 60_000, logger: silentLogger() });
    caches.push(c);
    const keys = Array.from({ length: 10 }, (_, i) => cacheKey('extract', 'gpt-4o-mini', 'v1', { system: 's', user: `u${i}` }));
    for (let i = 0; i < 10; i += 2) await c.set(keys[i]!, { output: { n: i }, model: 'm' });
    const got = await Promise.all(keys.map((k) => c.get(k)));
    expect(reads).toBe(1);
    expect(got.map((g) => (g?.output as { n: number } | undefined)?.n)).toEqual([0, undefined, 2, undefined, 4, undefined, 6, undefined, 8, undefined]);
    expect(await c.get(keys[4]!)).toEqual({ output: { n: 4 }, model: 'm' });
    expect(reads).toBe(2);
  });

  it('turns a Redis outage into misses, quickly, without throwing', async () => {
    // Nothing listens on port 1: every command fails.
    const redis = new Redis('redis://127.0.0.1:1', { commandTimeout: 300, maxRetriesPerRequest: 1, retryStrategy: () => 200 });
    redis.on('error', () => undefined);
    const c = createRedisCache({ redis, prefix: 'down:', ttlMs: 60_000, logger: silentLogger(), backoffMs: 2_000 });
    caches.push(c);
    const t0 = Date.now();
    expect(await c.get(key)).toBeUndefined();
    await expect(c.set(key, answer)).resolves.toBeUndefined();
    // After the first error it leaves Redis alone for a moment: the next lookups cost nothing.
    const t1 = Date.now();
    const other = cacheKey('extract', 'gpt-4o-mini', 'v1', { system: 's', user: 'another document' });
    for (let i = 0; i < 20; i++) expect(await c.get(other)).toBeUndefined();
    expect(await c.get(key)).toEqual(answer); // kept for a later write, and read from there meanwhile
    expect(Date.now() - t1).toBeLessThan(50);
    expect(t1 - t0).toBeLessThan(2_000);
  });

  it('is the memory LRU without REDIS_URL, and off with LLM_CACHE_SIZE=0', () => {
    expect(createCache(testConfig({ LLM_CACHE_SIZE: '10' }), silentLogger())?.kind).toBe('memory');
    expect(createCache(testConfig({ LLM_CACHE_SIZE: '0', REDIS_URL: TEST_REDIS_URL }), silentLogger())).toBeUndefined();
  });

  it('writes the answers it could not write while Redis was away once it answers again, with their TTL', async () => {
    const own = ownRedis(16385);
    await own.start();
    try {
      const redis = new Redis(own.url, { commandTimeout: 300, maxRetriesPerRequest: 1, retryStrategy: () => 100 });
      redis.on('error', () => undefined);
      let givenUp = 0;
      const c = createRedisCache({ redis, prefix: 'late:', ttlMs: 60_000, logger: silentLogger(), backoffMs: 500, onUnwritten: (n) => (givenUp += n) });
      caches.push(c);
      const keys = Array.from({ length: 30 }, (_, i) => cacheKey('summarize', 'gpt-4o-mini', 'v1', { system: 's', user: `doc ${i}` }));
      await own.stop();
      for (const [i, k] of keys.entries()) await c.set(k, { output: { n: i }, model: 'm' });
      expect(c.backlog().pending).toBe(30);
      // The process itself still reads what it keeps for later.
      expect(await c.get(keys[3]!)).toEqual({ output: { n: 3 }, model: 'm' });
      await own.start(); // empty, as after a restart
      await waitUntil(() => c.backlog().pending === 0, 15_000, 'the backlog to be written');
      const direct = new Redis(own.url);
      try {
        const stored = await direct.mget(keys.map((k) => `late:${k}`));
        expect(stored.every((t) => t !== null)).toBe(true);
        const ttl = await direct.pttl(`late:${keys[0]}`);
        expect(ttl).toBeGreaterThan(40_000);
        expect(ttl).toBeLessThanOrEqual(60_000);
      } finally {
        direct.disconnect();
      }
      expect(givenUp).toBe(0);
    } finally {
      await own.stop();
    }
  });

  it('gives up on the oldest answers beyond its backlog, and counts them', async () => {
    const redis = new Redis('redis://127.0.0.1:1', { commandTimeout: 200, maxRetriesPerRequest: 1, retryStrategy: () => 200 });
    redis.on('error', () => undefined);
    let givenUp = 0;
    const c = createRedisCache({ redis, prefix: 'down:', ttlMs: 60_000, logger: silentLogger(), backoffMs: 60_000, maxPending: 5, onUnwritten: (n) => (givenUp += n) });
    for (let i = 0; i < 8; i++) await c.set(`k${i}`, { output: { i }, model: 'm' });
    expect(c.backlog()).toEqual({ pending: 5, unwritten: 3 });
    expect(givenUp).toBe(3);
    expect(await c.get('k0')).toBeUndefined();
    expect(await c.get('k7')).toEqual({ output: { i: 7 }, model: 'm' });
    await c.close!();
    expect(c.backlog().unwritten).toBe(8); // what was still waiting at the stop, never written
  });
});
