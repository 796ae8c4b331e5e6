/**
 * A step call's cost event is the provider's bill: cached input at the cached price, the tier the
 * response reported, reasoning tokens recorded and not billed twice; the usage, the metrics and
 * the result cache carry what the event carries.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { CostEvent } from '../../src/contracts/index.ts';
import { createStepCaller, type CostSink } from '../../src/llm/chain/call-step.ts';
import { createMemoryCache, type ResultCache } from '../../src/llm/cache/result-cache.ts';
import type { LlmLimiter } from '../../src/llm/limiter/limiter.ts';
import { createLocalLimiter } from '../../src/llm/limiter/local-pool.ts';
import { PRICE_TABLE, createPricing } from '../../src/llm/pricing.ts';
import type { BilledCall, LlmProvider, LlmRequest, LlmResponse } from '../../src/llm/providers/provider.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';

const Answer = z.object({ category: z.string() });
const limiters: LlmLimiter[] = [];
afterEach(async () => {
  await Promise.all(limiters.splice(0).map((l) => l.stop()));
});

/** A provider billing the given calls in turn (a repair is a second call), answering with a probability. */
function provider(bills: Omit<BilledCall, 'ok'>[], opts: { tokenProbabilities?: boolean; probability?: number } = {}) {
  const requests: LlmRequest<unknown>[] = [];
  const p: LlmProvider = {
    name: 'openai',
    model: 'gpt-4o-mini',
    ...(opts.tokenProbabilities === undefined ? {} : { tokenProbabilities: opts.tokenProbabilities }),
    async complete<T>(req: LlmRequest<T>): Promise<LlmResponse<T>> {
      requests.push(req as LlmRequest<unknown>);
      bills.forEach((b, i) => req.onBilledCall({ ...b, ok: i === bills.length - 1 }));
      const asked = req.probabilityOf !== undefined && opts.probability !== undefined;
      return {
        output: req.schema.parse({ category: 'finance' }), inputTokens: 0, outputTokens: 0, model: bills[0]!.model,
        ...(asked ? { fieldProbability: opts.probability } : {}),
      };
    },
  };
  return { p, requests };
}

function caller(p: LlmProvider, cache?: ResultCache) {
  const logger = silentLogger();
  const metrics = createMetrics();
  const limiter = createLocalLimiter({ slots: 2, logger });
  limiters.push(limiter);
  const events: CostEvent[] = [];
  const costs: CostSink = { emit: async (e) => void events.push(e) };
  const call = createStepCaller({
    provider: p, limiter, pricing: createPricing({ logger }), costs, cache, promptVersion: 'v', maxOutputTokens: 100,
    instanceId: 'i-1', logger, metrics,
  });
  const step = (probabilityOf?: string) =>
    call({ step: 'classify', input: { step: 'extract', content: 'x' }, messages: { system: 's', user: 'u' }, answer: Answer, probabilityOf }, { documentId: 'd-1', attempt: 1 });
  return { step, events, metrics };
}

const perToken = (per1k: number) => Math.round(per1k * 1e9);

describe('step call billing', () => {
  it('emits one event per billed response with cached input, reasoning tokens, the tier and the saving', async () => {
    const o3 = PRICE_TABLE['o3']!;
    const { p } = provider([
      { model: 'o3', inputTokens: 1500, cachedInputTokens: 1152, outputTokens: 900, reasoningTokens: 768, serviceTier: 'flex' },
      { model: 'o3', inputTokens: 1600, cachedInputTokens: 1536, outputTokens: 50, reasoningTokens: 0, serviceTier: 'default' },
    ]);
    const { step, events, metrics } = caller(p);
    const res = await step();
    expect(events).toHaveLength(2);
    const [a, b] = events as [CostEvent, CostEvent];
    expect(a).toMatchObject({ model: 'o3', input_tokens: 1500, cached_input_tokens: 1152, output_tokens: 900, reasoning_tokens: 768, service_tier: 'flex', price_source: 'table', ok: false });
    // Flex prices; the 768 reasoning tokens are inside the 900 output tokens and billed once.
    expect(a.cost_usd).toBe((348 * perToken(o3.flex!.inputPer1k) + 1152 * perToken(o3.flex!.cachedInputPer1k) + 900 * perToken(o3.flex!.outputPer1k)) / 1e12);
    expect(a.cache_saving_usd).toBe((1152 * (perToken(o3.flex!.inputPer1k) - perToken(o3.flex!.cachedInputPer1k))) / 1e12);
    expect(b.cost_usd).toBe((64 * perToken(o3.inputPer1k) + 1536 * perToken(o3.cachedInputPer1k) + 50 * perToken(o3.outputPer1k)) / 1e12);
    expect(res.usage).toMatchObject({ calls: 2, inputTokens: 3100, cachedInputTokens: 2688, outputTokens: 950, reasoningTokens: 768 });
    expect(res.usage.costUsd).toBeCloseTo(a.cost_usd + b.cost_usd, 12);
    const tokens = await metrics.llmTokens.get();
    const byDirection = Object.fromEntries(tokens.values.map((v) => [v.labels['direction'], v.value]));
    expect(byDirection).toEqual({ input: 3100, cached_input: 2688, output: 950, reasoning: 768 });
    const tiers = (await metrics.llmServiceTierCalls.get()).values.map((v) => [v.labels['tier'], v.value]);
    expect(tiers.sort()).toEqual([['default', 1], ['flex', 1]]);
    expect((await metrics.llmCacheSavingUsd.get()).values[0]!.value).toBeCloseTo((a.cache_saving_usd ?? 0) + (b.cache_saving_usd ?? 0), 12);
  });

  it('records no tier when the response named none, and prices it at the standard price', async () => {
    const { p } = provider([{ model: 'gpt-4o-mini', inputTokens: 100, outputTokens: 10 }]);
    const { step, events } = caller(p);
    await step();
    expect(events[0]!.service_tier).toBeUndefined();
    expect(events[0]).toMatchObject({ cached_input_tokens: 0, reasoning_tokens: 0, cache_saving_usd: 0, price_source: 'table' });
  });

  it('asks for a field probability only from a provider that can give one, and caches it with the answer', async () => {
    const bill = [{ model: 'gpt-4o-mini', inputTokens: 100, outputTokens: 10 }];
    const able = provider(bill, { tokenProbabilities: true, probability: 0.42 });
    const cache = createMemoryCache(10);
    const c = caller(able.p, cache);
    expect((await c.step('category')).fieldProbability).toBe(0.42);
    expect(able.requests[0]!.probabilityOf).toBe('category');
    const hit = await c.step('category');
    expect(hit).toMatchObject({ cached: true, fieldProbability: 0.42 });
    expect(able.requests).toHaveLength(1);

    const unable = provider(bill, { probability: 0.42 });
    const u = caller(unable.p);
    expect((await u.step('category')).fieldProbability).toBeUndefined();
    expect(unable.requests[0]!.probabilityOf).toBeUndefined();
  });
});
