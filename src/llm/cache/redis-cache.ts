/**
 * The result cache in Redis, shared by every instance and kept across restarts, so that a
 * replay or a duplicate document costs nothing while prompt version and model are unchanged.
 * The cache is an optimisation: a Redis error is logged and read as a miss (or a skipped
 * write), never a failed document; after one, Redis is left alone for a moment so that an
 * outage does not add a timeout to every call.
 *
 * Lookups asked for in the same turn of the event loop go to Redis as one MGET: a replay asks
 * three per document for dozens of documents at a time, and one command each (its object, its
 * promise, its timeout timer, its reply) was a tenth of the replay's CPU.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../../observability/logger.ts';
import type { CachedAnswer, ResultCache } from './result-cache.ts';

export interface RedisCacheDeps {
  redis: Pick<Redis, 'mget' | 'set' | 'quit' | 'disconnect'>;
  /** Namespaces the keys: the pool id, so that deployments (and tests) do not share answers. */
  prefix: string;
  ttlMs: number;
  logger: Logger;
  /** How long to skip Redis after an error. */
  backoffMs?: number;
  now?: () => number;
}

function parseAnswer(text: string): CachedAnswer | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === 'object' && v !== null && 'output' in v && typeof (v as { model?: unknown }).model === 'string') {
      const { output, model, fieldProbability } = v as CachedAnswer;
      return { output, model, ...(typeof fieldProbability === 'number' ? { fieldProbability } : {}) };
    }
  } catch {
    // An entry we cannot read is a miss; the next answer overwrites it.
  }
  return undefined;
}

/** Keys per MGET: a few hundred keep one reply small enough not to stall the event loop. */
const MAX_KEYS_PER_READ = 256;

interface Lookup {
  key: string;
  resolve: (text: string | null | undefined) => void;
}

export function createRedisCache(deps: RedisCacheDeps): ResultCache {
  const { redis, prefix, ttlMs, logger } = deps;
  const now = deps.now ?? Date.now;
  const backoffMs = deps.backoffMs ?? 5_000;
  let skipUntil = 0;
  let lastLogged = 0;
  let waiting: Lookup[] = [];

  /** Sends what was asked for this turn; undefined for a lookup means Redis failed it. */
  function read(): void {
    const batch = waiting;
    waiting = [];
    for (let i = 0; i < batch.length; i += MAX_KEYS_PER_READ) {
      const part = batch.slice(i, i + MAX_KEYS_PER_READ);
      redis.mget(part.map((l) => prefix + l.key)).then(
        (texts) => part.forEach((l, j) => l.resolve(texts[j] ?? null)),
        (err: unknown) => {
          failed(err, 'get');
          for (const l of part) l.resolve(undefined);
        },
      );
    }
  }

  function failed(err: unknown, op: 'get' | 'set'): void {
    skipUntil = now() + backoffMs;
    if (now() - lastLogged < 10_000) return;
    lastLogged = now();
    logger.warn({ err: err instanceof Error ? err.message : String(err), op, skipMs: backoffMs }, 'result cache unavailable: treating it as a miss');
  }

  return {
    kind: 'redis',
    async get(key) {
      if (now() < skipUntil) return undefined;
      const text = await new Promise<string | null | undefined>((resolve) => {
        if (waiting.push({ key, resolve }) === 1) process.nextTick(read);
      });
      return text === null || text === undefined ? undefined : parseAnswer(text);
    },
    async set(key, value) {
      if (now() < skipUntil) return;
      try {
        await redis.set(prefix + key, JSON.stringify({ output: value.output, model: value.model, fieldProbability: value.fieldProbability }), 'PX', Math.max(1, Math.round(ttlMs)));
      } catch (err) {
        failed(err, 'set');
      }
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
