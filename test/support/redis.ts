/**
 * Redis for tests: the local server (REDIS_URL, else 127.0.0.1:6379), unique pool ids, and a
 * cleanup that deletes every key a pool left (Bottleneck's b_<id>* and our <id>:*).
 */
import { Redis } from 'ioredis';
import { randomName } from './kafka.ts';

export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export function uniquePoolId(prefix = 'llm-test'): string {
  return randomName(prefix);
}

export async function withRedis<T>(fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

export async function poolKeys(poolId: string): Promise<string[]> {
  return withRedis(async (r) => {
    const keys: string[] = [];
    for (const pattern of [`b_${poolId}*`, `${poolId}:*`]) {
      let cursor = '0';
      do {
        const [next, batch] = await r.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        keys.push(...batch);
        cursor = next;
      } while (cursor !== '0');
    }
    return keys;
  });
}

export async function deletePoolKeys(poolId: string): Promise<number> {
  const keys = await poolKeys(poolId);
  if (keys.length === 0) return 0;
  return withRedis((r) => r.del(...keys));
}
