/**
 * The histograms and the gauges read at scrape time: what each measures, with which labels, and
 * what is left out (a retry hop has no end-to-end latency; a lag source that fails or hangs
 * drops its series, not the scrape). Durations are checked from below only: a loaded machine
 * makes things slower, never faster.
 */
import { afterEach, describe, expect, it } from 'vitest';
import client from 'prom-client';
import { z } from 'zod';
import { createCommitPath } from '../../src/engine/commit-path.ts';
import { createPartitionOwnership } from '../../src/engine/partition-ownership.ts';
import { EnricherError } from '../../src/errors.ts';
import { createStepCaller } from '../../src/llm/chain/call-step.ts';
import type { LlmLimiter } from '../../src/llm/limiter/limiter.ts';
import { createLocalLimiter } from '../../src/llm/limiter/local-pool.ts';
import { createPricing } from '../../src/llm/pricing.ts';
import type { LlmProvider, LlmRequest, LlmResponse } from '../../src/llm/providers/provider.ts';
import { createLiveGauges } from '../../src/observability/live-gauges.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { createMetrics, type Metrics } from '../../src/observability/metrics.ts';
import { sleep } from '../../src/util/sleep.ts';
import { createFakeCommitter } from '../support/fake-committer.ts';

const Answer = z.object({ category: z.string() });
const limiters: LlmLimiter[] = [];
afterEach(async () => {
  await Promise.all(limiters.splice(0).map((l) => l.stop()));
});

/** One histogram series: its count and sum, found by the labels given (a subset). */
async function series(h: client.Histogram, labels: Record<string, string>) {
  const values = (await h.get()).values;
  const match = (l: Record<string, unknown>) => Object.entries(labels).every(([k, v]) => String(l[k]) === v);
  const count = values.find((v) => v.metricName?.endsWith('_count') && match(v.labels));
  const sum = values.find((v) => v.metricName?.endsWith('_sum') && match(v.labels));
  return { count: count?.value ?? 0, sum: sum?.value ?? 0, labels: count?.labels };
}

/** A provider answering after `delayMs`, billing 120 input and 7 output tokens as 'gpt-4o-mini-2024-07-18', or failing. */
function slowProvider(delayMs: number, fail?: EnricherError): LlmProvider {
  return {
    name: 'openai',
    model: 'gpt-4o-mini',
    async complete<T>(req: LlmRequest<T>): Promise<LlmResponse<T>> {
      await sleep(delayMs);
      if (fail) throw fail;
      req.onBilledCall({ model: 'gpt-4o-mini-2024-07-18', inputTokens: 120, outputTokens: 7, ok: true });
      return { output: req.schema.parse({ category: 'finance' }), inputTokens: 120, outputTokens: 7, model: 'gpt-4o-mini-2024-07-18' };
    },
  };
}

function caller(provider: LlmProvider, metrics: Metrics, slots = 1) {
  const logger = silentLogger();
  const limiter = createLocalLimiter({ slots, logger });
  limiters.push(limiter);
  const call = createStepCaller({
    provider, limiter, pricing: createPricing({ logger }), costs: { emit: async () => undefined }, promptVersion: 'v', maxOutputTokens: 100,
    instanceId: 'i-1', logger, metrics, callRetries: 0,
  });
  return (documentId: string) =>
    call({ step: 'classify', input: { step: 'extract', content: 'x' }, messages: { system: 's', user: documentId }, answer: Answer }, { documentId, attempt: 1 });
}

describe('LLM call histograms (GenAI conventions)', () => {
  it('times each call by step and model, and the second of two calls on one slot waited for the first', async () => {
    const metrics = createMetrics();
    const step = caller(slowProvider(80), metrics, 1);
    await Promise.all([step('d-1'), step('d-2')]);

    const ok = await series(metrics.llmDuration, { step: 'classify', outcome: 'ok' });
    expect(ok.count).toBe(2);
    expect(ok.sum).toBeGreaterThanOrEqual(0.15);
    expect(ok.labels).toMatchObject({
      gen_ai_operation_name: 'chat', gen_ai_provider_name: 'openai', gen_ai_request_model: 'gpt-4o-mini',
      gen_ai_response_model: 'gpt-4o-mini-2024-07-18', error_type: '',
    });
    const wait = await series(metrics.poolWait, { step: 'classify' });
    expect(wait.count).toBe(2);
    // One slot: whichever went second waited out the first call's 80 ms.
    expect(wait.sum).toBeGreaterThanOrEqual(0.07);

    const input = await series(metrics.llmTokenUsage, { gen_ai_token_type: 'input' });
    const output = await series(metrics.llmTokenUsage, { gen_ai_token_type: 'output' });
    expect([input.count, input.sum, output.count, output.sum]).toEqual([2, 240, 2, 14]);
    expect(input.labels).toMatchObject({ step: 'classify', gen_ai_response_model: 'gpt-4o-mini-2024-07-18' });
  });

  it('a failed call is timed too, with its error code as error_type', async () => {
    const metrics = createMetrics();
    const err = new EnricherError('boom', { code: 'LLM_SERVER_ERROR', stage: 'classify', retriable: true });
    await expect(caller(slowProvider(20, err), metrics)('d-1')).rejects.toThrow('boom');
    const failed = await series(metrics.llmDuration, { outcome: 'error' });
    expect(failed.count).toBe(1);
    expect(failed.sum).toBeGreaterThanOrEqual(0.015);
    expect(failed.labels).toMatchObject({ error_type: 'LLM_SERVER_ERROR', gen_ai_request_model: 'gpt-4o-mini' });
    expect((await series(metrics.llmDuration, { outcome: 'ok' })).count).toBe(0);
    expect((await series(metrics.llmTokenUsage, {})).count).toBe(0);
  });
});

describe('commit and end-to-end latency', () => {
  async function committed(routes: { route: string; enteredAt: number | undefined }[], fault?: 'fenced') {
    const committer = createFakeCommitter();
    const log = silentLogger();
    const partitions = createPartitionOwnership({ committer, committedOffset: committer.committedOffset, isStopping: () => false, log, seek: () => undefined });
    const metrics = createMetrics();
    const commits = createCommitPath({
      committer, committedOffset: committer.committedOffset, partitions, eager: false, flushMaxMessages: 100,
      watchdog: { contact: () => undefined, check: () => undefined }, log, metrics,
    });
    const s = partitions.stateFor('in', 0);
    await partitions.ensureReady(s);
    routes.forEach((o, i) => {
      s.tracker.add(String(i));
      s.tracker.complete(String(i), [{ topic: 'out', key: String(i), value: Buffer.from('x'), headers: {} }], o);
    });
    if (fault === 'fenced') {
      const { fencedError } = await import('../support/fake-committer.ts');
      committer.faults.push({ error: fencedError(), applied: false });
    }
    await commits.flush();
    return metrics;
  }

  it('each committed output is measured from its raw record\'s timestamp, by route; a retry hop is not an output', async () => {
    const now = Date.now();
    const metrics = await committed([
      { route: 'enriched', enteredAt: now - 30_000 },
      { route: 'review', enteredAt: now - 5_000 },
      { route: 'retry', enteredAt: now - 1_000 },
      { route: 'dlq', enteredAt: undefined },
    ]);
    const enriched = await series(metrics.endToEnd, { route: 'enriched' });
    expect(enriched.count).toBe(1);
    expect(enriched.sum).toBeGreaterThanOrEqual(30);
    expect(enriched.sum).toBeLessThan(60);
    expect((await series(metrics.endToEnd, { route: 'review' })).sum).toBeGreaterThanOrEqual(5);
    expect((await series(metrics.endToEnd, { route: 'retry' })).count).toBe(0);
    expect((await series(metrics.endToEnd, { route: 'dlq' })).count).toBe(0);
    expect((await series(metrics.commitDuration, { outcome: 'committed' })).count).toBe(1);
  });

  it('a fenced commit is timed as aborted and its documents have no end-to-end latency', async () => {
    const metrics = await committed([{ route: 'enriched', enteredAt: Date.now() }], 'fenced');
    expect((await series(metrics.commitDuration, { outcome: 'aborted' })).count).toBe(1);
    expect((await series(metrics.commitDuration, { outcome: 'committed' })).count).toBe(0);
    expect((await series(metrics.endToEnd, {})).count).toBe(0);
  });
});

describe('gauges read at scrape time', () => {
  it('reports every lag source, leaves out one that fails or hangs, and does not wait for it', async () => {
    const registry = new client.Registry();
    let now = 1_000_000;
    const live = createLiveGauges(registry, () => now);
    live.addLag(async () => [{ topic: 'documents.raw', partition: 0, lag: 12 }, { topic: 'documents.raw', partition: 3, lag: 0 }]);
    live.addLag(async () => [{ topic: 'documents.retry.5s', partition: 1, lag: 4 }]);
    const removeFailing = live.addLag(async () => {
      throw new Error('broker away');
    });
    live.addLag(() => new Promise(() => undefined));
    const readAt = now - 42_000;
    live.addOldestUncommitted(() => readAt);
    live.addOldestUncommitted(() => undefined);

    const started = Date.now();
    const text = await registry.metrics();
    expect(Date.now() - started).toBeLessThan(10_000); // the hung source is given up on (after 2 s)
    expect(text).toContain('enricher_consumer_lag{topic="documents.raw",partition="0"} 12');
    expect(text).toContain('enricher_consumer_lag{topic="documents.raw",partition="3"} 0');
    expect(text).toContain('enricher_consumer_lag{topic="documents.retry.5s",partition="1"} 4');
    expect(text).toContain('enricher_oldest_uncommitted_age_seconds 42');
    // No budget source: neither budget series.
    expect(text).not.toMatch(/^enricher_budget_(spend|limit)_usd[{ ]/m);

    removeFailing();
    live.setBudget(() => ({ spendUsd: 8.25, budgetUsd: undefined }));
    now += 1_000;
    const again = await registry.metrics();
    expect(again).toContain('enricher_budget_spend_usd{period="day"} 8.25');
    expect(again).not.toMatch(/^enricher_budget_limit_usd[{ ]/m);
    expect(again).toContain('enricher_oldest_uncommitted_age_seconds 43');
    live.setBudget(() => ({ spendUsd: 8.25, budgetUsd: 10 }));
    expect(await registry.metrics()).toContain('enricher_budget_limit_usd{period="day"} 10');
  });

  it('the oldest uncommitted document is the head of the oldest partition; none means 0', async () => {
    const registry = new client.Registry();
    const live = createLiveGauges(registry, () => 10_000);
    expect(await registry.metrics()).toContain('enricher_oldest_uncommitted_age_seconds 0');
    const { createPartitionTracker } = await import('../../src/engine/partition-tracker.ts');
    const t = createPartitionTracker();
    live.addOldestUncommitted(() => t.oldestReadAt());
    t.add('5', 4_000);
    t.add('6', 9_000);
    t.complete('5', []);
    expect(await registry.metrics()).toContain('enricher_oldest_uncommitted_age_seconds 6');
    t.markCommitted(1);
    expect(await registry.metrics()).toContain('enricher_oldest_uncommitted_age_seconds 1');
  });

  it('Redis availability is absent until a Redis outage guard reports (a processor without Redis is not "Redis away")', async () => {
    const m = createMetrics();
    expect(await m.registry.metrics()).not.toContain('enricher_redis_available');
    m.redisAvailable.set(0);
    expect(await m.registry.metrics()).toContain('\nenricher_redis_available 0\n');
    m.redisAvailable.set(1);
    expect(await m.registry.metrics()).toContain('\nenricher_redis_available 1\n');
  });
});
