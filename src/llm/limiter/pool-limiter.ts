/**
 * The LLM pool with rate limits and a backoff, composed from Bottleneck limiters clustered on
 * Redis (the deployment's pool; see redis-limiter.ts). One instance's pool is local-pool.ts.
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
import type { Logger } from '../../observability/logger.ts';
import { chunkWeight, RATE_WAIT_ALLOWANCE_MS, type Bucket } from './limiter-settings.ts';
import type { HoldStore, SharedHold } from './hold-store.ts';
import type { LlmLimiter } from './limiter.ts';
import { sleep } from '../../util/sleep.ts';

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
const isExpiry = (e: unknown) => e instanceof Bottleneck.BottleneckError && /timed out/.test(e.message);

/** Logs a failure (an error, or the fields to log) at most once per period: a Redis outage must not flood the log. */
export function throttled(logger: Logger, periodMs = 10_000) {
  let last = 0;
  return (err: unknown, msg: string) => {
    if (Date.now() - last < periodMs) return;
    last = Date.now();
    logger.warn(err instanceof Error || typeof err !== 'object' ? { err } : (err as object), msg);
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
