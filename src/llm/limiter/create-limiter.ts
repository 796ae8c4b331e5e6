/**
 * Picks the LLM limiter from config (its settings' arithmetic is in limiter-settings.ts):
 *
 *   REDIS_URL set       → one pool for the whole deployment (Bottleneck clustered on Redis)
 *   no REDIS_URL        → the pool of this instance (local-pool.ts: LLM_POOL_SLOTS calls, and
 *                         LLM_RPM / LLM_TPM per instance when set)
 */
import type { RedisOptions } from 'ioredis';
import type { Config } from '../../config.ts';
import type { Logger } from '../../observability/logger.ts';
import type { LlmLimiter } from './limiter.ts';
import { bucketFor, bucketSteadyPerMinute, slotExpirationMs } from './limiter-settings.ts';
import { createLocalLimiter } from './local-pool.ts';
import { createRedisLimiter } from './redis-limiter.ts';
import { redisConnectionOptions } from '../redis-client.ts';

function poolSettings(llm: Config['llm']) {
  const rpm = llm.rpm !== undefined ? bucketFor(llm.rpm) : undefined;
  const tpm = llm.tpm !== undefined ? bucketFor(llm.tpm) : undefined;
  return { slots: llm.poolSlots, rpm, tpm, expirationMs: slotExpirationMs(llm, rpm !== undefined || tpm !== undefined) };
}

/** `redisOptions`: TLS for a rediss:// REDIS_URL (redisConnectionOptions), built once by the caller. */
export function createLimiter(config: Pick<Config, 'llm'>, logger: Logger, redisOptions: RedisOptions = redisConnectionOptions(config.llm)): LlmLimiter {
  const llm = config.llm;
  const s = poolSettings(llm);
  const log = logger.child({ component: 'llm-limiter' });
  if (s.rpm || s.tpm) {
    log.info(
      {
        rpm: llm.rpm, tpm: llm.tpm,
        rpmBucket: s.rpm && { ...s.rpm, steadyPerMinute: bucketSteadyPerMinute(s.rpm) },
        tpmBucket: s.tpm && { ...s.tpm, steadyPerMinute: bucketSteadyPerMinute(s.tpm) },
      },
      'LLM rate limits: no 60 s window goes over them',
    );
  }
  if (llm.redisUrl) return createRedisLimiter({ ...s, redisUrl: llm.redisUrl, redisOptions, poolId: llm.poolId, logger: log });
  return createInstanceLimiter(config, logger);
}

/** The pool of this instance alone: the one without Redis, and the one REDIS_OUTAGE=local falls back to. */
export function createInstanceLimiter(config: Pick<Config, 'llm'>, logger: Logger): LlmLimiter {
  const s = poolSettings(config.llm);
  return createLocalLimiter({ slots: s.slots, rpm: s.rpm, tpm: s.tpm, logger: logger.child({ component: 'llm-limiter' }) });
}
