/**
 * Picks the LLM limiter from config (its settings' arithmetic is in limiter-settings.ts):
 *
 *   REDIS_URL set       → one pool for the whole deployment (Bottleneck clustered on Redis)
 *   LLM_RPM / LLM_TPM   → without Redis, the same rate limits, per instance
 *   neither             → the plain local pool (LLM_POOL_SLOTS calls per instance)
 */
import type { RedisOptions } from 'ioredis';
import type { Config } from '../../config.ts';
import type { Logger } from '../../observability/logger.ts';
import { createLocalLimiter, type LlmLimiter } from './limiter.ts';
import { bucketFor, bucketSteadyPerMinute, slotExpirationMs } from './limiter-settings.ts';
import { createLocalPoolLimiter, createRedisLimiter } from './redis-limiter.ts';
import { redisConnectionOptions } from '../redis-client.ts';

/** `redisOptions`: TLS for a rediss:// REDIS_URL (redisConnectionOptions), built once by the caller. */
export function createLimiter(config: Pick<Config, 'llm'>, logger: Logger, redisOptions: RedisOptions = redisConnectionOptions(config.llm)): LlmLimiter {
  const llm = config.llm;
  const rpm = llm.rpm !== undefined ? bucketFor(llm.rpm) : undefined;
  const tpm = llm.tpm !== undefined ? bucketFor(llm.tpm) : undefined;
  const expirationMs = slotExpirationMs(llm, rpm !== undefined || tpm !== undefined);
  const log = logger.child({ component: 'llm-limiter' });
  if (rpm || tpm) {
    log.info(
      {
        rpm: llm.rpm, tpm: llm.tpm,
        rpmBucket: rpm && { ...rpm, steadyPerMinute: bucketSteadyPerMinute(rpm) },
        tpmBucket: tpm && { ...tpm, steadyPerMinute: bucketSteadyPerMinute(tpm) },
      },
      'LLM rate limits: no 60 s window goes over them',
    );
  }
  if (llm.redisUrl) {
    return createRedisLimiter({
      redisUrl: llm.redisUrl, redisOptions, poolId: llm.poolId, slots: llm.poolSlots, rpm, tpm, expirationMs, logger: log,
    });
  }
  if (rpm || tpm) return createLocalPoolLimiter({ slots: llm.poolSlots, rpm, tpm, expirationMs, logger: log });
  return createLocalLimiter({ slots: llm.poolSlots, logger });
}
