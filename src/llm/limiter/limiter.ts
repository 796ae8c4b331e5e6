/**
 * The LLM pool: every call takes a slot. Locally it is Bottleneck's maxConcurrent, the same
 * contract as Airflow's 5-slot `llm_api` pool, but for this process only.
 */
import { localBottleneck } from './local-bottleneck.ts';
import type { Logger } from '../../observability/logger.ts';

export interface LlmLimiter {
  /** Runs fn when a slot (and, with rate limits, budget for `weight` tokens) is free. */
  schedule<T>(weight: number, fn: () => Promise<T>): Promise<T>;
  /** Holds every new call for ms: the API told us to back off. */
  hold(ms: number, reason: string): void;
  /** Whether the pool is shared across instances. */
  readonly scope: 'local' | 'global';
  /** True when token weights matter (LLM_TPM is set), so callers only count tokens then. */
  readonly weighted: boolean;
  /** Calls holding a slot now. An observation point: the scale-out tests count the pool with it. */
  running(): Promise<number>;
  stop(): Promise<void>;
  /** The store a global pool lives in (Redis), for the guard that decides what to do while it is away. */
  readonly store?: SharedStore;
}

export interface SharedStore {
  /** Where it is, for logs and /readyz (no credentials). */
  readonly where: string;
  /** Resolves when the store answers and the pool's keys exist (re-created if they were lost); rejects with why not. */
  probe(): Promise<void>;
  /** Calls listener with the reason each time the connection is lost or a command fails for lack of it. */
  onLost(listener: (reason: string) => void): void;
}

export function createLocalLimiter(deps: { slots: number; logger: Logger }): LlmLimiter {
  const bottleneck = localBottleneck({ maxConcurrent: deps.slots });
  let heldUntil = 0;
  return {
    scope: 'local',
    weighted: false,
    async schedule(_weight, fn) {
      return bottleneck.schedule(async () => {
        // A hold that began after this job was queued still applies: wait it out in the slot,
        // so that the number of calls on the wire never exceeds the pool.
        const wait = heldUntil - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        return fn();
      });
    },
    hold(ms, reason) {
      const until = Date.now() + ms;
      if (until > heldUntil) {
        heldUntil = until;
        deps.logger.warn({ holdMs: ms, reason }, 'LLM pool held: the API asked us to back off');
      }
    },
    async running() {
      return bottleneck.running();
    },
    async stop() {
      await bottleneck.stop({ dropWaitingJobs: false });
    },
  };
}
