/**
 * Where a failed document goes: one pure function of the error and the attempts so far.
 * Transient errors go to the next retry tier until the tiers run out, then to the DLQ;
 * permanent errors go straight to the DLQ; errors that are the service's fault (bad key,
 * unknown model) pause the service instead of condemning the document.
 */
import type { EnricherError } from '../errors.ts';

export type FailureRoute =
  | { action: 'retry'; tier: number; delayMs: number; nextAttempt: number }
  | { action: 'dlq'; reason: 'permanent' | 'exhausted' }
  | { action: 'pause-service' };

export interface RetryPolicy {
  /** One entry per retry tier (10s, 20s, 40s): the number of retries is their count. */
  delaysMs: readonly number[];
  maxDelayMs: number;
}

/** attempt: 1 for the first delivery, 2 after one retry, and so on. */
export function routeFailure(error: Pick<EnricherError, 'retriable' | 'scope' | 'retryAfterMs'>, attempt: number, policy: RetryPolicy): FailureRoute {
  if (error.scope === 'service') return { action: 'pause-service' };
  if (!error.retriable) return { action: 'dlq', reason: 'permanent' };
  const retriesDone = attempt - 1;
  if (retriesDone >= policy.delaysMs.length) return { action: 'dlq', reason: 'exhausted' };
  // The server's Retry-After, when longer than the tier, picks a later tier: never retry
  // sooner than the API asked.
  let tier = retriesDone;
  const wanted = error.retryAfterMs ?? 0;
  while (tier < policy.delaysMs.length - 1 && policy.delaysMs[tier]! < wanted) tier++;
  const delayMs = Math.min(policy.delaysMs[tier]!, policy.maxDelayMs);
  return { action: 'retry', tier, delayMs, nextAttempt: attempt + 1 };
}
