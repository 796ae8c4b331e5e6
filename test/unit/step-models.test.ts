/**
 * A model per step (LLM_MODEL_EXTRACT, _SUMMARIZE, _CLASSIFY, each defaulting to LLM_MODEL):
 * each step's calls ask for its model, are priced at it, carry it in the GenAI metrics and are
 * cached under it; the confidence mode follows the classifier's model; a processor with bad
 * prompt files does not start.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';
import { createMemoryCache } from '../../src/llm/cache/result-cache.ts';
import { resolveConfidenceMode } from '../../src/llm/chain/confidence.ts';
import { createOfflineProvider } from '../../src/llm/offline/offline-provider.ts';
import { PRICE_TABLE } from '../../src/llm/pricing.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import type { DocumentTrace, StepSpan } from '../../src/observability/tracing/document-trace.ts';
import { createProcessor } from '../../src/processes/processor.ts';
import { buildChain, ctx, okResult } from '../support/chain.ts';
import { FIXTURE_DOC as doc, MODEL, TOKENS } from '../support/scripted-model.ts';

const MODELS = { extract: 'gpt-4o', summarize: 'gpt-4.1-nano', classify: MODEL };

const priceAt = (model: string, step: keyof typeof TOKENS) => (TOKENS[step].input * PRICE_TABLE[model]!.inputPer1k + TOKENS[step].output * PRICE_TABLE[model]!.outputPer1k) / 1000;

describe('a model per step: the settings', () => {
  it('each step defaults to LLM_MODEL, and takes its own when set', () => {
    expect(loadConfig({}).llm.models).toEqual({ extract: 'gpt-4o-mini', summarize: 'gpt-4o-mini', classify: 'gpt-4o-mini' });
    expect(loadConfig({ LLM_MODEL: 'gpt-4.1' }).llm.models).toEqual({ extract: 'gpt-4.1', summarize: 'gpt-4.1', classify: 'gpt-4.1' });
    expect(loadConfig({ LLM_MODEL: 'gpt-4.1', LLM_MODEL_EXTRACT: 'gpt-4o', LLM_MODEL_CLASSIFY: 'o4-mini' }).llm.models).toEqual({ extract: 'gpt-4o', summarize: 'gpt-4.1', classify: 'o4-mini' });
  });
});

describe('a model per step: the calls', () => {
  it('each step asks for its model, is billed and priced at it, and labelled with it', async () => {
    const { chain, model, events, metrics } = buildChain({ models: MODELS });
    const r = okResult(await chain(doc, ctx));
    expect(model.requests.map((q) => [q.step, q.model])).toEqual(Object.entries(MODELS));
    expect(events.map((e) => [e.step, e.model])).toEqual(Object.entries(MODELS));
    for (const e of events) expect(e.cost_usd).toBeCloseTo(priceAt(e.model, e.step as keyof typeof TOKENS), 12);
    // Three different prices: each step was priced at its own model, not at one.
    expect(new Set(events.map((e) => e.cost_usd / (TOKENS[e.step as keyof typeof TOKENS].input + TOKENS[e.step as keyof typeof TOKENS].output))).size).toBe(3);
    expect(r.usage.costUsd).toBeCloseTo(Object.entries(MODELS).reduce((n, [step, m]) => n + priceAt(m, step as keyof typeof TOKENS), 0), 12);
    const requested = async (h: { get(): Promise<{ values: { labels: Record<string, unknown> }[] }> }) =>
      [...new Set((await h.get()).values.map((v) => `${v.labels.step as string}=${v.labels.gen_ai_request_model as string}`))].sort();
    const expected = Object.entries(MODELS).map(([s, m]) => `${s}=${m}`).sort();
    expect(await requested(metrics.llmDuration)).toEqual(expected);
    expect(await requested(metrics.llmTokenUsage)).toEqual(expected);
  });

  it('each step\'s span names its model as the request model, cache hits included', async () => {
    const spans: StepSpan[] = [];
    const trace = { captureContent: false, step: (s: StepSpan) => spans.push(s) } as unknown as DocumentTrace;
    const { chain } = buildChain({ models: MODELS, cache: createMemoryCache(10) });
    okResult(await chain(doc, { ...ctx, trace }));
    okResult(await chain(doc, { ...ctx, trace }));
    expect(spans.map((s) => [s.step, s.requestModel, s.cached])).toEqual([
      ...Object.entries(MODELS).map(([step, m]) => [step, m, false]),
      ...Object.entries(MODELS).map(([step, m]) => [step, m, true]),
    ]);
  });

  it('the result cache keys on the step\'s model: a new classify model pays for classify alone', async () => {
    const cache = createMemoryCache(100);
    const a = buildChain({ cache, models: MODELS });
    okResult(await a.chain(doc, ctx));
    const b = buildChain({ cache, model: a.model, models: { ...MODELS, classify: 'gpt-4o' } });
    const again = okResult(await b.chain(doc, ctx));
    expect(a.model.requests.slice(3).map((q) => [q.step, q.model])).toEqual([['classify', 'gpt-4o']]);
    expect(again.usage).toMatchObject({ calls: 1, cachedCalls: 2 });
    expect(b.events.map((e) => [e.step, e.model])).toEqual([['classify', 'gpt-4o']]);
  });

  it('the offline provider answers as the step\'s model, so its costs are priced per step too', async () => {
    const provider = createOfflineProvider({ model: 'gpt-4o-mini', answers: () => async () => ({ summary: 'S.' }) });
    const billed: string[] = [];
    const { z } = await import('zod');
    const res = await provider.complete({
      step: 'summarize', model: 'gpt-4o', documentId: 'd', messages: { system: 's', user: 'u' }, schema: z.object({ summary: z.string() }), schemaName: 'summarize',
      maxOutputTokens: 100, input: { step: 'summarize', content: 'c' }, onBilledCall: (b) => billed.push(b.model),
    });
    expect([res.model, ...billed]).toEqual(['gpt-4o', 'gpt-4o']);
  });

  it('the confidence mode follows the classifier\'s model: a reasoning model there returns no log-probabilities', () => {
    const provider = { name: 'openai' as const, model: 'gpt-4o-mini', tokenProbabilities: true, tokenProbabilitiesFor: (m: string) => !m.startsWith('o') };
    expect(resolveConfidenceMode(undefined, provider, silentLogger())).toBe('min');
    expect(resolveConfidenceMode(undefined, provider, silentLogger(), 'o4-mini')).toBe('self');
  });
});

describe('bad prompt files stop the processor before it starts', () => {
  it('createProcessor throws the ConfigError that names the file', () => {
    const config = loadConfig({ PROMPTS_DIR: '/nonexistent/prompts', LLM_PROVIDER: 'offline' });
    expect(() => createProcessor(config, silentLogger())).toThrow(ConfigError);
    expect(() => createProcessor(config, silentLogger())).toThrow(/\/nonexistent\/prompts\/extract\.md: missing/);
  });
});
