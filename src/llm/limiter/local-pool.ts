/**
 * The LLM pool of one instance (no REDIS_URL, and the pool REDIS_OUTAGE=local falls back to):
 * at most LLM_POOL_SLOTS calls on the wire, calls served in turn (fair-queue.ts), the API's
 * backoff (Retry-After) and, when set, LLM_RPM / LLM_TPM as token buckets (token-bucket.ts).
 *
 * Why not Bottleneck, as the shared pool is: Bottleneck's in-process store passes every submit,
 * register and free through an asynchronous section and its job through an event emitter and
 * several promise hops. A local pool then topped out at ~400 calls/s with 5 slots (its
 * setTimeout(0) yields), and ~2,600/s once those yields were promises: the ceiling of a replay
 * or a backfill, where calls are instant. One process needs none of it: a counter, the fair
 * queue, and one timer, set only while a hold or an empty rate bucket makes calls wait. The
 * shared pool needs what Bottleneck's Redis scripts give (one atomic state for every instance,
 * the expiration that frees a dead instance's slots), so it stays Bottleneck.
 */
import type { Logger } from '../../observability/logger.ts';
import { createFairQueue, settleAfter, type Waiter } from './fair-queue.ts';
import { chunkWeight, type Bucket } from './limiter-settings.ts';
import type { LlmLimiter, Turn } from './limiter.ts';
import { createTokenBucket, type TokenBucket } from './token-bucket.ts';

export interface LocalPoolSettings {
  slots: number;
  rpm?: Bucket | undefined;
  tpm?: Bucket | undefined;
  logger: Logger;
  now?: () => number;
}

interface Job extends Waiter {
  fn: () => Promise<unknown>;
  /** Rate budget still to take before the call may start: one request, then token chunks. */
  request: boolean;
  chunks: number[];
}

export function createLocalLimiter(s: LocalPoolSettings): LlmLimiter {
  const now = s.now ?? Date.now;
  const queue = createFairQueue<Job>();
  const rpm: TokenBucket | undefined = s.rpm && createTokenBucket(s.rpm, now());
  const tpm: TokenBucket | undefined = s.tpm && createTokenBucket(s.tpm, now());
  let running = 0;
  let heldUntil = 0;
  /** The job first in line, taking its rate budget: it keeps its turn until it has all of it. */
  let next: Job | undefined;
  let timer: NodeJS.Timeout | undefined;
  let timerAt = 0;
  let stopped = false;
  let onIdle: (() => void) | undefined;

  function wakeAt(at: number): void {
    if (timer && timerAt <= at) return;
    clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(() => {
      timer = undefined;
      pump();
    }, Math.max(0, at - now()));
  }

  /** Takes what rate budget the job still needs; the ms to wait for the rest, or 0 when it has it all. */
  function takeBudget(job: Job, t: number): number {
    if (job.request && rpm) {
      if (!rpm.tryTake(1, t)) return rpm.msUntil(1, t);
      job.request = false;
    }
    while (tpm && job.chunks.length > 0) {
      const chunk = job.chunks[0]!;
      if (!tpm.tryTake(chunk, t)) return tpm.msUntil(chunk, t);
      job.chunks.shift();
    }
    return 0;
  }

  function pump(): void {
    while (running < s.slots) {
      const t = now();
      // A hold that began after a call was queued still applies to it.
      if (heldUntil > t) return wakeAt(heldUntil);
      const job = next ?? queue.shift();
      if (!job) break;
      next = job;
      const wait = takeBudget(job, t);
      if (wait > 0) return wakeAt(t + wait);
      next = undefined;
      start(job);
    }
    if (running === 0 && !next && queue.size === 0) onIdle?.();
  }

  function start(job: Job): void {
    running++;
    let call: Promise<unknown>;
    try {
      call = job.fn();
    } catch (e) {
      call = Promise.reject(e);
    }
    settleAfter(call, () => {
      running--;
      pump();
    }, job);
  }

  return {
    scope: 'local',
    weighted: tpm !== undefined,
    schedule<T>(weight: number, fn: () => Promise<T>, turn?: Turn): Promise<T> {
      if (stopped) return Promise.reject(new Error('the LLM pool is stopped'));
      return new Promise<T>((resolve, reject) => {
        queue.push(turn?.lane ?? '', {
          fn, resolve: resolve as (v: unknown) => void, reject,
          request: rpm !== undefined, chunks: tpm ? chunkWeight(weight, tpm.bucket.capacity) : [],
        }, turn?.order);
        pump();
      });
    },
    hold(ms, reason) {
      const until = now() + ms;
      if (until <= heldUntil) return;
      heldUntil = until;
      s.logger.warn({ holdMs: ms, reason }, 'LLM pool held: the API asked us to back off');
    },
    async running() {
      return running;
    },
    async stop() {
      // Calls queued before the stop still run (the processors have drained by now).
      stopped = true;
      if (running > 0 || next || queue.size > 0) await new Promise<void>((r) => (onIdle = r));
      clearTimeout(timer);
    },
  };
}
