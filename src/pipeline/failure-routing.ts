/**
 * Where a failed document goes: one pure function of the error, the attempts so far and
 * whether an LLM outage is declared. Transient errors go to the next retry tier until the tiers
 * run out, then to the DLQ; permanent errors go straight to the DLQ; errors that are the
 * service's fault (bad key, unknown model) pause the service instead of condemning the
 * document. A transient failure during a declared outage (outage-guard.ts) is the service's
 * too: the document goes back to the tier it came from and the attempt does not count.
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

/**
 * attempt: 1 for the first delivery, 2 after one retry, and so on. duringOutage: an outage is
 * declared now, so this attempt is not counted: the next delivery carries the same number.
 */
export function routeFailure(error: Pick<EnricherError, 'retriable' | 'scope' | 'retryAfterMs'>, attempt: number, policy: RetryPolicy, duringOutage = false): FailureRoute {
  if (error.scope === 'service') return { action: 'pause-service' };
  if (!error.retriable) return { action: 'dlq', reason: 'permanent' };
  if (policy.delaysMs.length === 0) return { action: 'dlq', reason: 'exhausted' };
  const retriesDone = attempt - 1;
  if (duringOutage) return retryAt(Math.max(0, retriesDone - 1), attempt, error, policy);
  if (retriesDone >= policy.delaysMs.length) return { action: 'dlq', reason: 'exhausted' };
  return retryAt(retriesDone, attempt + 1, error, policy);
}

function retryAt(firstTier: number, nextAttempt: number, error: Pick<EnricherError, 'retryAfterMs'>, policy: RetryPolicy): FailureRoute {
  // The server's Retry-After, when longer than the tier, picks a later tier: never retry
  // sooner than the API asked.
  let tier = Math.min(firstTier, policy.delaysMs.length - 1);
  const wanted = error.retryAfterMs ?? 0;
  while (tier < policy.delaysMs.length - 1 && policy.delaysMs[tier]! < wanted) tier++;
  const delayMs = Math.min(policy.delaysMs[tier]!, policy.maxDelayMs);
  return { action: 'retry', tier, delayMs, nextAttempt };
}
