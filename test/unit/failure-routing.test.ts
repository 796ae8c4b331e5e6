import { describe, expect, it } from 'vitest';
import { EnricherError, ErrorCodes } from '../../src/errors.ts';
import { routeFailure, type RetryPolicy } from '../../src/pipeline/failure-routing.ts';

const policy: RetryPolicy = { delaysMs: [10_000, 20_000, 40_000], maxDelayMs: 120_000 };

const transient = (retryAfterMs?: number) =>
  new EnricherError('429', {
    code: ErrorCodes.LLM_RATE_LIMITED,
    stage: 'summarize',
    retriable: true,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
const permanent = new EnricherError('bad request', { code: ErrorCodes.LLM_BAD_REQUEST, stage: 'extract', retriable: false });

describe('routeFailure', () => {
  it('pauses the service for a service-scope error, retriable or not, at any attempt', () => {
    for (const retriable of [true, false]) {
      const e = new EnricherError('401', { code: ErrorCodes.LLM_AUTH, stage: 'extract', retriable, scope: 'service' });
      for (const attempt of [1, 3, 4, 99]) expect(routeFailure(e, attempt, policy)).toEqual({ action: 'pause-service' });
    }
  });

  it('dead-letters a permanent error at once', () => {
    expect(routeFailure(permanent, 1, policy)).toEqual({ action: 'dlq', reason: 'permanent' });
    expect(routeFailure(permanent, 3, policy)).toEqual({ action: 'dlq', reason: 'permanent' });
  });

  it('sends attempts 1..3 of a transient error to tiers 0, 1, 2 with their delays', () => {
    expect(routeFailure(transient(), 1, policy)).toEqual({ action: 'retry', tier: 0, delayMs: 10_000, nextAttempt: 2 });
    expect(routeFailure(transient(), 2, policy)).toEqual({ action: 'retry', tier: 1, delayMs: 20_000, nextAttempt: 3 });
    expect(routeFailure(transient(), 3, policy)).toEqual({ action: 'retry', tier: 2, delayMs: 40_000, nextAttempt: 4 });
  });

  it('dead-letters as exhausted once every tier was used', () => {
    expect(routeFailure(transient(), 4, policy)).toEqual({ action: 'dlq', reason: 'exhausted' });
    expect(routeFailure(transient(), 10, policy)).toEqual({ action: 'dlq', reason: 'exhausted' });
  });

  it('counts retries by the number of tiers', () => {
    const one: RetryPolicy = { delaysMs: [5000], maxDelayMs: 120_000 };
    expect(routeFailure(transient(), 1, one)).toMatchObject({ action: 'retry', tier: 0 });
    expect(routeFailure(transient(), 2, one)).toEqual({ action: 'dlq', reason: 'exhausted' });
    expect(routeFailure(transient(), 1, { delaysMs: [], maxDelayMs: 1000 })).toEqual({ action: 'dlq', reason: 'exhausted' });
  });

  it('caps a tier delay at maxDelayMs', () => {
    const p: RetryPolicy = { delaysMs: [10_000, 300_000], maxDelayMs: 120_000 };
    expect(routeFailure(transient(), 2, p)).toEqual({ action: 'retry', tier: 1, delayMs: 120_000, nextAttempt: 3 });
  });

  it('keeps the tier when Retry-After fits in it', () => {
    expect(routeFailure(transient(5_000), 1, policy)).toMatchObject({ tier: 0, delayMs: 10_000 });
    expect(routeFailure(transient(10_000), 1, policy)).toMatchObject({ tier: 0, delayMs: 10_000 });
    expect(routeFailure(transient(0), 2, policy)).toMatchObject({ tier: 1, delayMs: 20_000 });
  });

  it('picks a later tier when Retry-After is longer than the current one', () => {
    expect(routeFailure(transient(15_000), 1, policy)).toEqual({ action: 'retry', tier: 1, delayMs: 20_000, nextAttempt: 2 });
    expect(routeFailure(transient(25_000), 1, policy)).toEqual({ action: 'retry', tier: 2, delayMs: 40_000, nextAttempt: 2 });
    expect(routeFailure(transient(25_000), 2, policy)).toEqual({ action: 'retry', tier: 2, delayMs: 40_000, nextAttempt: 3 });
  });

  it('stops at the last tier when Retry-After is longer than every tier', () => {
    expect(routeFailure(transient(600_000), 1, policy)).toEqual({ action: 'retry', tier: 2, delayMs: 40_000, nextAttempt: 2 });
  });

  it('does not let Retry-After revive an exhausted document', () => {
    expect(routeFailure(transient(15_000), 4, policy)).toEqual({ action: 'dlq', reason: 'exhausted' });
  });

  it('during a declared outage, puts a transient failure back on the tier it came from without counting the attempt', () => {
    expect(routeFailure(transient(), 1, policy, true)).toEqual({ action: 'retry', tier: 0, delayMs: 10_000, nextAttempt: 1 });
    expect(routeFailure(transient(), 2, policy, true)).toEqual({ action: 'retry', tier: 0, delayMs: 10_000, nextAttempt: 2 });
    expect(routeFailure(transient(), 3, policy, true)).toEqual({ action: 'retry', tier: 1, delayMs: 20_000, nextAttempt: 3 });
    // The last attempt, which outside an outage is dead-lettered, waits for the outage's end.
    expect(routeFailure(transient(), 4, policy)).toEqual({ action: 'dlq', reason: 'exhausted' });
    expect(routeFailure(transient(), 4, policy, true)).toEqual({ action: 'retry', tier: 2, delayMs: 40_000, nextAttempt: 4 });
    expect(routeFailure(transient(30_000), 2, policy, true)).toEqual({ action: 'retry', tier: 2, delayMs: 40_000, nextAttempt: 2 });
  });

  it('during a declared outage, still dead-letters a permanent error and pauses for a service error', () => {
    expect(routeFailure(permanent, 1, policy, true)).toEqual({ action: 'dlq', reason: 'permanent' });
    const auth = new EnricherError('401', { code: ErrorCodes.LLM_AUTH, stage: 'extract', retriable: false, scope: 'service' });
    expect(routeFailure(auth, 2, policy, true)).toEqual({ action: 'pause-service' });
  });
});
