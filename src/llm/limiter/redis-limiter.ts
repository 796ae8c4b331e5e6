/**
 * The LLM pool with rate limits and a backoff shared by every instance. With Redis the three
 * Bottleneck limiters are clustered (same ids → same state for the whole deployment); without
 * it the same composition runs on local limiters, for LLM_RPM / LLM_TPM on a single instance.
 *
 * Composition, in this order, per call:
 *   1. a slot of the pool (maxConcurrent = LLM_POOL_SLOTS, weight 1, with an expiration);
 *   2. inside the slot: the shared hold (Retry-After), then one RPM token, then the call's
 *      tokens from the TPM bucket, then the hold again, then the call.
 * Not Bottleneck's chain(): chained limiters receive the same job options, so the weight that
 * must be 1 for concurrency and RPM could not be the token count for TPM. The rate limiters
 * run empty jobs instead: a job there is only "take this many tokens". Taking them inside the
 * slot, right before the call, keeps the API's sliding windows in step with ours (tokens taken
 * earlier, outside the slot, could pile up and go out together), and at most LLM_POOL_SLOTS
 * callers ever wait for rate budget at once.
 * A call's TPM weight is its prompt tokens + LLM_MAX_OUTPUT_TOKENS, estimated before the call
 * (call-step.ts), which is also how the API counts a request against its own TPM. The repair
 * call and the SDK's retries inside one job are not weighed again; the shared hold on the
 * API's 429 / x-ratelimit-remaining = 0 covers what slips through.
 */
import Bottleneck from 'bottleneck';
import { localBottleneck } from './local-bottleneck.ts';
import type { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { createRedisClient } from '../redis-client.ts';
import type { Logger } from '../../observability/logger.ts';
import { BUCKET_HEARTBEAT_MS, chunkWeight, RATE_WAIT_ALLOWANCE_MS, redactRedisUrl, type Bucket } from './limiter-settings.ts';
import type { LlmLimiter } from './limiter.ts';

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

export function bucketOptions(b: Bucket): Bottleneck.ConstructorOptions {
  return { reservoir: b.capacity, reservoirIncreaseAmount: b.amount, reservoirIncreaseInterval: b.intervalMs, reservoirIncreaseMaximum: b.capacity };
}

export interface PoolParts {
  scope: 'local' | 'global';
  slots: Bottleneck;
  rpm?: Bottleneck | undefined;
  tpm?: { limiter: Bottleneck; bucket: Bucket } | undefined;
  holds: HoldStore;
  expirationMs: number;
  logger: Logger;
  /** Releases what the parts hold (Redis connections) once every limiter is stopped. */
  close(): Promise<void>;
}

const HELD = Symbol('held');
const noop = async (): Promise<void> => undefined;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const isExpiry = (e: unknown) => e instanceof Bottleneck.BottleneckError && /timed out/.test(e.message);

/** Logs a failure at most once per period: a Redis outage must not flood the log. */
function throttled(logger: Logger, periodMs = 10_000) {
  let last = 0;
  return (err: unknown, msg: string) => {
    if (Date.now() - last < periodMs) return;
    last = Date.now();
    logger.warn({ err }, msg);
  };
}

export function createPoolLimiter(p: PoolParts): LlmLimiter {
  const warn = throttled(p.logger);
  let heldUntil = 0;
  let heldReason = '';

  /** Whether a hold is on, asking the store (Redis: every instance's holds). */
  async function heldNow(): Promise<boolean> {
    if (heldUntil > Date.now()) return true;
    let shared: SharedHold | undefined;
    try {
      shared = await p.holds.current();
    } catch (err) {
      // The pool itself lives in the same Redis: if it is gone, calls stop there anyway.
      warn(err, 'could not read the shared LLM hold; going on without it');
      return false;
    }
    if (!shared) return false;
    if (shared.reason !== heldReason || Date.now() + shared.remainingMs > heldUntil + 1000) {
      p.logger.info({ holdMs: shared.remainingMs, reason: shared.reason }, 'LLM pool held: another instance was told to back off');
    }
    heldUntil = Date.now() + shared.remainingMs;
    heldReason = shared.reason;
    return true;
  }

  async function takeRateBudget(weight: number): Promise<void> {
    if (p.rpm) await p.rpm.schedule(noop);
    if (p.tpm) for (const w of chunkWeight(weight, p.tpm.bucket.capacity)) await p.tpm.limiter.schedule({ weight: w }, noop);
  }

  /** One try at a slot: the call's result, or HELD when a hold sent it back to the queue. */
  async function inSlot<T>(weight: number, fn: () => Promise<T>): Promise<{ value: T } | typeof HELD> {
    let call: Promise<T> | undefined;
    let abandoned = false;
    const job = p.slots.schedule({ expiration: p.expirationMs }, async (): Promise<{ value: T } | typeof HELD> => {
      // A held job gives its slot back instead of sleeping in it: the slot's expiration then
      // only has to cover the call, and other instances' slots are not held idle by this one.
      if (await heldNow()) return HELD;
      await takeRateBudget(weight);
      if (abandoned || (await heldNow())) return HELD;
      call = fn();
      return { value: await call };
    });
    try {
      return await job;
    } catch (e) {
      if (!isExpiry(e)) throw e;
      if (call) {
        // The pool already took the slot back; the call is on the wire and its answer is paid for.
        p.logger.warn({ expirationMs: p.expirationMs }, 'an LLM call outlived its slot expiration; raise it (LLM_TIMEOUT) if this repeats');
        return { value: await call };
      }
      abandoned = true;
      p.logger.warn({ expirationMs: p.expirationMs, allowanceMs: RATE_WAIT_ALLOWANCE_MS }, 'waited too long for rate budget in a slot; queueing again');
      return HELD;
    }
  }

  return {
    scope: p.scope,
    weighted: p.tpm !== undefined,
    async schedule(weight, fn) {
      for (;;) {
        const wait = heldUntil - Date.now();
        if (wait > 0) await sleep(wait);
        const r = await inSlot(weight, fn);
        if (r !== HELD) return r.value;
      }
    },
    hold(ms, reason) {
      if (Date.now() + ms > heldUntil) {
        heldUntil = Date.now() + ms;
        heldReason = reason;
      }
      p.holds.extend(ms, reason).then(
        (lengthened) => {
          if (lengthened) p.logger.warn({ holdMs: ms, reason, scope: p.scope }, p.scope === 'global' ? 'LLM pool held for every instance: the API asked us to back off' : 'LLM pool held: the API asked us to back off');
        },
        (err: unknown) => warn(err, 'could not share the LLM hold; only this instance holds'),
      );
    },
    async running() {
      return p.slots.running();
    },
    async stop() {
      const limiters = [p.slots, p.rpm, p.tpm?.limiter].filter((l): l is Bottleneck => l !== undefined);
      // The processors have drained before this; a dead Redis must not hang the shutdown.
      const stopped = Promise.all(limiters.map((l) => l.stop({ dropWaitingJobs: false })));
      let timer: NodeJS.Timeout | undefined;
      const done = await Promise.race([
        stopped.then(() => true, () => true),
        new Promise<boolean>((r) => { timer = setTimeout(() => r(false), 5_000); }),
      ]);
      clearTimeout(timer);
      if (!done) p.logger.warn('LLM limiter did not stop within 5 s; disconnecting anyway');
      await p.close();
    },
  };
}

export interface PoolSettings {
  slots: number;
  rpm?: Bucket | undefined;
  tpm?: Bucket | undefined;
  expirationMs: number;
  logger: Logger;
}

/** LLM_RPM / LLM_TPM on one instance: the same composition on local Bottleneck limiters. */
export function createLocalPoolLimiter(s: PoolSettings): LlmLimiter {
  const slots = localBottleneck({ maxConcurrent: s.slots });
  const rpm = s.rpm ? localBottleneck(bucketOptions(s.rpm)) : undefined;
  const tpm = s.tpm ? { limiter: localBottleneck(bucketOptions(s.tpm)), bucket: s.tpm } : undefined;
  return createPoolLimiter({
    scope: 'local', slots, rpm, tpm, holds: createLocalHoldStore(), expirationMs: s.expirationMs, logger: s.logger,
    async close() {
      for (const l of [slots, rpm, tpm?.limiter]) await l?.disconnect();
    },
  });
}

/**
 * The pool for the whole deployment. Bottleneck settings that matter when instances die:
 * - job `expiration` (see slotExpirationMs): the ONLY thing that frees the slots of a
 *   SIGKILLed instance; Bottleneck drops expired jobs on any instance's next tick.
 * - `heartbeatInterval` 5 s (slots) / 1 s (rate buckets): every live instance ticks the shared
 *   state; the buckets' increments are applied on these ticks (see bucketFor).
 * - `clientTimeout` 10 s (Bottleneck's default, stated): an instance silent that long is offered
 *   no more freed slots; before that, a dead one stalls a freed slot once, for 1 s, and is
 *   then blacklisted. Its own slots are NOT freed by this; only by the expiration above.
 * - `timeout` (key TTL): a pool nobody uses for max(1 h, 2 × expiration) leaves no keys
 *   behind; it outlasts any job, so a live job's state never expires under it.
 */
export function createRedisLimiter(s: PoolSettings & { redisUrl: string; poolId: string; redisOptions?: RedisOptions }): LlmLimiter {
  const log = s.logger.child({ pool: s.poolId, redis: redactRedisUrl(s.redisUrl) });
  const warn = throttled(log);
  const redis = createRedisClient(s.redisUrl, `llm-pool:${s.poolId}`, s.redisOptions);
  const connection = new Bottleneck.IORedisConnection({ client: redis });
  connection.on('error', (err) => warn(err, 'Redis error in the shared LLM pool'));
  const common = {
    connection,
    clientTimeout: 10_000,
    timeout: Math.max(3_600_000, 2 * s.expirationMs),
  };
  const make = (id: string, opts: Bottleneck.ConstructorOptions, heartbeatInterval: number) => {
    const l = new Bottleneck({ ...common, ...opts, id, heartbeatInterval });
    l.on('error', (err: unknown) => warn(err, 'shared LLM pool limiter error'));
    return l;
  };
  const slots = make(s.poolId, { maxConcurrent: s.slots }, 5_000);
  const rpm = s.rpm ? make(`${s.poolId}:rpm`, bucketOptions(s.rpm), BUCKET_HEARTBEAT_MS) : undefined;
  const tpm = s.tpm ? { limiter: make(`${s.poolId}:tpm`, bucketOptions(s.tpm), BUCKET_HEARTBEAT_MS), bucket: s.tpm } : undefined;

  // The first instance to create the pool stores its settings in Redis and later ones inherit
  // them; this instance's config wins from now on, so a changed LLM_POOL_SLOTS or rate takes
  // effect on redeploy. The reservoir itself is left alone: restarts grant no extra budget.
  // (The d.ts says updateSettings returns the limiter; 2.19.5 returns a promise of it.)
  const update = (l: Bottleneck | undefined, o: Bottleneck.ConstructorOptions) =>
    l && Promise.resolve(l.updateSettings(o) as unknown).catch((err: unknown) => warn(err, 'could not update the shared LLM pool settings'));
  void update(slots, { maxConcurrent: s.slots });
  if (rpm && s.rpm) void update(rpm, withoutReservoir(bucketOptions(s.rpm)));
  if (tpm && s.tpm) void update(tpm.limiter, withoutReservoir(bucketOptions(s.tpm)));
  slots.ready().then(
    () => log.info({ slots: s.slots, rpm: s.rpm !== undefined, tpm: s.tpm !== undefined, expirationMs: s.expirationMs }, 'LLM pool shared through Redis'),
    (err: unknown) => warn(err, 'could not connect the shared LLM pool to Redis'),
  );

  return createPoolLimiter({
    scope: 'global', slots, rpm, tpm, holds: createRedisHoldStore(redis, `${s.poolId}:hold-until`), expirationMs: s.expirationMs, logger: log,
    async close() {
      await connection.disconnect(true).catch(() => connection.disconnect(false));
    },
  });
}

function withoutReservoir(o: Bottleneck.ConstructorOptions): Bottleneck.ConstructorOptions {
  const { reservoir: _omit, ...rest } = o;
  return rest;
}
