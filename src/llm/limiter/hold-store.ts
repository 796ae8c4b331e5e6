/**
 * Where the backoff an API asked for (Retry-After) is kept: one variable for one instance, or
 * one Redis key for the whole deployment, so that a 429 told to one instance holds them all.
 */
import type { Redis } from 'ioredis';

export interface SharedHold {
  remainingMs: number;
  reason: string;
}

/** Where the backoff an API asked for is kept: one variable, or one Redis key for all. */
export interface HoldStore {
  current(): Promise<SharedHold | undefined>;
  /** Makes the hold last at least ms from now; true when this lengthened it. */
  extend(ms: number, reason: string): Promise<boolean>;
}

export function createLocalHoldStore(now: () => number = Date.now): HoldStore {
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

// The key's TTL is the hold: Redis's clock decides, so instances with skewed clocks agree.
const EXTEND_HOLD = `local ttl = redis.call('PTTL', KEYS[1])
if ttl < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[1])
  return 1
end
return 0`;
const READ_HOLD = `local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return {0, ''} end
return {ttl, redis.call('GET', KEYS[1]) or ''}`;

export function createRedisHoldStore(redis: Pick<Redis, 'eval'>, key: string): HoldStore {
  return {
    async current() {
      const [ttl, reason] = (await redis.eval(READ_HOLD, 1, key)) as [number, string];
      return ttl > 0 ? { remainingMs: ttl, reason } : undefined;
    },
    async extend(ms, reason) {
      return (await redis.eval(EXTEND_HOLD, 1, key, String(Math.max(1, Math.ceil(ms))), reason)) === 1;
    },
  };
}
