/**
 * The shared hold's fast path on the real Redis: while its channel is listened to, "no hold" is
 * believed for a few ms instead of asked for on every call, and a hold set by any instance ends
 * the belief at once through the channel. The clock is frozen here, so the belief would last
 * forever without the message: seeing the hold proves the message did it.
 */
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisHoldStore } from '../../src/llm/limiter/hold-store.ts';
import { createRedisClient } from '../../src/llm/redis-client.ts';
import { TEST_REDIS_URL, uniquePoolId, withRedis } from '../support/redis.ts';
import { sleep } from '../support/time.ts';

let clients: Redis[] = [];
let keys: string[] = [];
afterEach(async () => {
  for (const c of clients) c.disconnect();
  clients = [];
  if (keys.length) await withRedis((r) => r.del(...keys));
  keys = [];
});

function connection(): Redis {
  const c = createRedisClient(TEST_REDIS_URL, 'hold-belief-test');
  clients.push(c);
  return c;
}

/** A store whose Redis reads are counted, on a frozen clock. */
function countedStore(key: string, listen: boolean) {
  const redis = connection();
  const counted = { reads: 0, eval: ((...args: Parameters<Redis['eval']>) => {
    counted.reads++;
    return redis.eval(...args);
  }) as Redis['eval'] };
  const subscriber = listen ? connection() : undefined;
  return { counted, subscriber, store: createRedisHoldStore(counted, key, subscriber, () => 1_000_000) };
}

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

describe('the shared hold, believed between messages', () => {
  it('answers many asks with one read while no hold is set, and sees a hold set elsewhere through its channel', async () => {
    const key = uniquePoolId('hold-belief');
    keys.push(key);
    const { counted, subscriber, store } = countedStore(key, true);
    await until(async () => subscriber!.status === 'ready');
    await sleep(100); // the subscription is confirmed after the connection is ready
    await store.current();
    const before = counted.reads;
    for (let i = 0; i < 200; i++) expect(await store.current()).toBeUndefined();
    await Promise.all(Array.from({ length: 200 }, () => store.current()));
    expect(counted.reads - before).toBe(0);

    // Another instance's store, on its own connection, is told to back off.
    const other = createRedisHoldStore(connection(), key);
    expect(await other.extend(5_000, 'HTTP 429 (Retry-After: 5 s)')).toBe(true);
    await until(async () => (await store.current()) !== undefined);
    expect(await store.current()).toMatchObject({ reason: 'HTTP 429 (Retry-After: 5 s)' });
    expect(counted.reads - before).toBeGreaterThan(0);
  });

  it('asks Redis every time when its channel is not listened to', async () => {
    const key = uniquePoolId('hold-belief');
    keys.push(key);
    const { counted, store } = countedStore(key, false);
    for (let i = 0; i < 20; i++) await store.current();
    expect(counted.reads).toBe(20);
  });

  it('stops believing when its channel connection closes', async () => {
    const key = uniquePoolId('hold-belief');
    keys.push(key);
    const { counted, subscriber, store } = countedStore(key, true);
    await until(async () => subscriber!.status === 'ready');
    await sleep(100);
    await store.current();
    await store.current();
    const before = counted.reads;
    subscriber!.disconnect();
    await until(async () => subscriber!.status === 'end');
    await store.current();
    await store.current();
    expect(counted.reads - before).toBe(2);
  });
});
