/**
 * The LLM pool port: every call takes a slot, the same contract as Airflow's 5-slot `llm_api`
 * pool. Two pools hold it (test/integration/pool-conformance.test.ts runs the same cases on
 * both): local-pool.ts for one instance, redis-limiter.ts (Bottleneck on Redis) for all.
 */

export interface LlmLimiter {
  /**
   * Runs fn when a slot (and, with rate limits, budget for `weight` tokens) is free, in its turn
   * (fair-queue.ts): partitions take turns, and within one the oldest document goes first.
   */
  schedule<T>(weight: number, fn: () => Promise<T>, turn?: Turn): Promise<T>;
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

/** Where a call stands in line for a slot. */
export interface Turn {
  /** The partition its document came from. */
  lane: string;
  /** Its document's place in the partition (the offset): lower goes first. */
  order?: number | undefined;
}

export interface SharedStore {
  /** Where it is, for logs and /readyz (no credentials). */
  readonly where: string;
  /** Resolves when the store answers and the pool's keys exist (re-created if they were lost); rejects with why not. */
  probe(): Promise<void>;
  /** Calls listener with the reason each time the connection is lost or a command fails for lack of it. */
  onLost(listener: (reason: string) => void): void;
}
