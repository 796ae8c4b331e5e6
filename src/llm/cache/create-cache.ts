/**
 * Picks the result cache: Redis when REDIS_URL is set (shared, survives restarts, entries live
 * LLM_CACHE_TTL), else a bounded LRU in memory (LLM_CACHE_SIZE entries, this process only).
 * LLM_CACHE_SIZE=0 turns caching off whatever the store (one switch for "always pay"), and so
 * does LLM_CACHE_TTL=0 with Redis (an entry that lives 0 ms is no cache).
 */
import type { RedisOptions } from 'ioredis';
import type { Config } from '../../config.ts';
import type { Logger } from '../../observability/logger.ts';
import { withoutCredentials } from '../../util/redact.ts';
import { createRedisClient, redisConnectionOptions } from '../redis-client.ts';
import { createRedisCache } from './redis-cache.ts';
import { createMemoryCache, type ResultCache } from './result-cache.ts';

/** `redisOptions`: TLS for a rediss:// REDIS_URL (redisConnectionOptions), built once by the caller. */
export function createCache(
  config: Pick<Config, 'llm'>,
  logger: Logger,
  redisOptions: RedisOptions = redisConnectionOptions(config.llm),
  onUnwritten?: (count: number) => void,
): ResultCache | undefined {
  const llm = config.llm;
  if (llm.cacheSize <= 0) return undefined;
  if (!llm.redisUrl) return createMemoryCache(llm.cacheSize);
  if (llm.cacheTtlMs <= 0) return undefined;
  const log = logger.child({ component: 'result-cache', redis: withoutCredentials(llm.redisUrl) });
  // Short command timeout and one retry: a slow Redis must cost a call, not stall it. Commands
  // sent in the same tick go out in one write: a replay asks for three answers per document for
  // dozens of documents at once, and one socket write per GET was its largest cost.
  const redis = createRedisClient(llm.redisUrl, `llm-cache:${llm.poolId}`, { ...redisOptions, commandTimeout: 1_000, maxRetriesPerRequest: 1, enableAutoPipelining: true });
  let lastError = 0;
  redis.on('error', (err: Error) => {
    // ioredis reconnects by itself; without a listener it would print every attempt.
    if (Date.now() - lastError < 10_000) return;
    lastError = Date.now();
    log.warn({ err: err.message }, 'result cache: Redis connection error');
  });
  log.info({ ttlMs: llm.cacheTtlMs, prefix: `${llm.poolId}:` }, 'result cache in Redis, shared by every instance');
  return createRedisCache({ redis, prefix: `${llm.poolId}:`, ttlMs: llm.cacheTtlMs, logger: log, ...(onUnwritten ? { onUnwritten } : {}) });
}
