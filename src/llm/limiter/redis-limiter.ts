/**
 * The LLM pool, its rate limits and the API's backoff, shared by every instance through Redis:
 * the three Bottleneck limiters of pool-limiter.ts, clustered (same ids → same state for the
 * whole deployment), and the hold kept in one Redis key.
 *
 * While Redis is away this limiter does not decide what happens to calls: it reports the loss
 * (SharedStore.onLost) and answers probes, and the Redis outage guard (src/guards) pauses or
 * falls back to a local pool (REDIS_OUTAGE). When Redis comes back empty, the limiters re-create
 * their keys with this instance's settings (pool-keys.ts), without a restart.
 */
import Bottleneck from 'bottleneck';
import type { RedisOptions } from 'ioredis';
import { createRedisClient } from '../redis-client.ts';
import { createRedisHoldStore } from './hold-store.ts';
import { BUCKET_HEARTBEAT_MS } from './limiter-settings.ts';
import { withoutCredentials } from '../../util/redact.ts';
import type { LlmLimiter } from './limiter.ts';
import { ensurePoolKeys, recoverLostKeys, type ScriptConnection } from './pool-keys.ts';
import { bucketOptions, createPoolLimiter, throttled, type PoolSettings } from './pool-limiter.ts';
import { classifyRedisError } from './redis-errors.ts';
import { withFairAdmission } from './fair-admission.ts';
import { withTimeout } from '../../util/with-timeout.ts';

/** A command Redis has not answered in this long counts as an outage (a hung server or a partition sends no close). */
const COMMAND_TIMEOUT_MS = 10_000;
const PROBE_TIMEOUT_MS = 2_000;

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
  const where = withoutCredentials(s.redisUrl);
  const log = s.logger.child({ pool: s.poolId, redis: where });
  const warn = throttled(log);
  const lostListeners: ((reason: string) => void)[] = [];
  let closing = false;
  const lost = (reason: string) => {
    if (!closing) for (const l of lostListeners) l(reason);
  };
  const redis = createRedisClient(s.redisUrl, `llm-pool:${s.poolId}`, { ...s.redisOptions, commandTimeout: COMMAND_TIMEOUT_MS });
  redis.on('close', () => lost('the connection to Redis closed'));
  // Listens to the hold's channel (hold-store.ts): a call asks Redis about a hold only when told
  // one changed, or every few ms. Its errors are the main connection's too: logged there.
  const holdEvents = createRedisClient(s.redisUrl, `llm-pool-holds:${s.poolId}`);
  holdEvents.on('error', () => undefined);
  const connection = new Bottleneck.IORedisConnection({ client: redis });
  const onError = (what: string) => (err: unknown) => {
    if (classifyRedisError(err) === 'unavailable') lost((err as Error).message);
    warn(err, what);
  };
  connection.on('error', onError('Redis error in the shared LLM pool'));
  const warnKeys = throttled(log);
  const limiters: Bottleneck[] = [];
  recoverLostKeys(connection as unknown as ScriptConnection, (id, script) => {
    warnKeys({ limiter: id, script }, "the shared LLM pool's keys are gone from Redis (restarted empty?): re-creating them with this instance's settings");
    // A heartbeat does not re-create them (Bottleneck ignores its reply): a call would, but an idle instance makes none.
    if (script === 'heartbeat') void limiters.find((l) => l.id === id)?.running().catch(() => undefined);
  });
  const common = {
    connection,
    clientTimeout: 10_000,
    timeout: Math.max(3_600_000, 2 * s.expirationMs),
  };
  const make = (id: string, opts: Bottleneck.ConstructorOptions, heartbeatInterval: number) => {
    const l = new Bottleneck({ ...common, ...opts, id, heartbeatInterval });
    l.on('error', onError('shared LLM pool limiter error'));
    limiters.push(l);
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

  const pool = createPoolLimiter({
    scope: 'global', slots, rpm, tpm, holds: createRedisHoldStore(redis, `${s.poolId}:hold-until`, holdEvents), expirationMs: s.expirationMs, logger: log,
    async close() {
      closing = true;
      holdEvents.disconnect();
      // QUIT to a Redis that is away would wait for the command timeout: just drop the sockets.
      if (redis.status === 'ready') await connection.disconnect(true).catch(() => connection.disconnect(false));
      else await connection.disconnect(false);
    },
  });
  return withFairAdmission({
    ...pool,
    async stop() {
      // Bottleneck's stop waits on Redis: with Redis away it could only time out.
      if (redis.status === 'ready') return pool.stop();
      log.warn({ status: redis.status }, 'Redis is away: closing the shared LLM pool without waiting for it');
      closing = true;
      holdEvents.disconnect();
      await connection.disconnect(false);
    },
    store: {
      where,
      async probe() {
        // Not queued behind a reconnect: a probe must say "no" at once while Redis is away.
        if (redis.status !== 'ready') throw new Error(`Redis connection is ${redis.status}`);
        await withTimeout(redis.ping(), PROBE_TIMEOUT_MS, () => new Error(`PING: no answer from Redis in ${PROBE_TIMEOUT_MS} ms`));
        const recreated = await withTimeout(ensurePoolKeys(redis, limiters), PROBE_TIMEOUT_MS, () => new Error(`re-creating the pool keys: no answer from Redis in ${PROBE_TIMEOUT_MS} ms`));
        if (recreated.length) log.warn({ limiters: recreated, slots: s.slots }, "re-created the shared LLM pool's keys in Redis with this instance's settings");
      },
      onLost: (l) => void lostListeners.push(l),
    },
  }, s.slots);
}

function withoutReservoir(o: Bottleneck.ConstructorOptions): Bottleneck.ConstructorOptions {
  const { reservoir: _omit, ...rest } = o;
  return rest;
}
