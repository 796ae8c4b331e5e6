/**
 * Cost events of real runs, summed by the aggregator into llm.costs.daily: with the offline
 * provider, and through the real OpenAI SDK against the local server with transient faults
 * that are recovered inside the calls (SDK retries, the repair of a malformed answer). The
 * daily totals must equal what was billed, priced with the table, to 1e-9 USD.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { PRICE_TABLE } from '../../src/llm/pricing.ts';
import type { RequestRecord } from '../support/fake-openai-server.ts';
import type { Config } from '../../src/config.ts';
import { Headers, type CostEvent, type DailyCost, type EnrichedDocument } from '../../src/contracts/index.ts';
import type { CostAggregator } from '../../src/costs/aggregator.ts';
import { picoToUsd, usdToPico } from '../../src/costs/money.ts';
import { formatCostTable, loadDailyCosts } from '../../src/costs/report.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { startTestAggregator } from '../support/aggregator.ts';
import { startTestApp } from '../support/app.ts';
import { corpusDocs } from '../support/docs.ts';
import { doc, startHarness } from '../support/harness.ts';
import { jsonValue, openTestKafka, outputTopics, readTopics, sendMessages, testConfig, type TestKafka } from '../support/kafka.ts';
import { capturingLogger } from '../support/logger.ts';
import { waitUntil } from '../support/time.ts';

const calls = (records: readonly DailyCost[]) => records.reduce((n, r) => n + r.calls, 0);
const pico = (records: readonly DailyCost[]) => records.reduce((n, r) => n + BigInt(r.cost_pico_usd), 0n);

/** Waits until the aggregator counted `n` calls, flushes, and reads llm.costs.daily back. */
async function dailyTotals(a: CostAggregator, config: Config, kafka: TestKafka['kafka'], n: () => number): Promise<DailyCost[]> {
  await waitUntil(() => calls(a.totals()) >= n(), 30_000, () => `the aggregator to count ${n()} calls (has ${calls(a.totals())})`);
  await a.flush();
  return loadDailyCosts(kafka, config.topics.costsDaily, 'probe', silentLogger());
}


describe('costs of a run', () => {
  it('offline provider: llm.costs.daily sums to the cost events and to the documents’ usage', async () => {
    const config = testConfig({ LLM_CACHE_SIZE: '0', COST_FLUSH_INTERVAL: '200ms' });
    const tk = await openTestKafka(config);
    const aggregator = await startTestAggregator(config, tk.kafka);
    const docs = corpusDocs(60, 'run');
    const emitted: CostEvent[] = [];
    await startTestApp(config, { onCostEvent: (e) => emitted.push(e) });
    await sendMessages(tk.kafka, config.topics.raw, docs.map((d) => ({ key: d.id, value: JSON.stringify(d), headers: { [Headers.runId]: 'run-offline-1' } })));
    const out = await readTopics(tk.kafka, [config.topics.enriched, config.topics.review], { until: (r) => r.length >= docs.length, timeoutMs: 45_000 });
    expect(out).toHaveLength(docs.length);

    const daily = await dailyTotals(aggregator, config, tk.kafka, () => emitted.length);
    const events = (await readTopics(tk.kafka, [config.topics.costEvents], { until: (r) => r.length >= emitted.length })).map((r) => jsonValue<CostEvent>(r));
    expect(events).toHaveLength(docs.length * 3);
    const eventPico = events.reduce((s, e) => s + usdToPico(e.cost_usd), 0n);
    const docsUsd = out.map((r) => jsonValue<EnrichedDocument>(r).usage.cost_usd).reduce((s, c) => s + c, 0);
    expect(calls(daily)).toBe(events.length);
    expect(pico(daily)).toBe(eventPico);
    expect(Math.abs(picoToUsd(pico(daily)) - docsUsd)).toBeLessThan(1e-9);
    expect(daily.map((d) => d.model)).toEqual(['gpt-4o-mini']);
    expect(daily[0]!.by_run['run-offline-1']!.calls).toBe(docs.length * 3);
    expect(Object.fromEntries(Object.entries(daily[0]!.by_step).map(([s, t]) => [s, t.calls]))).toEqual({ extract: 60, summarize: 60, classify: 60 });
    console.log(`[costs] offline run of ${docs.length} documents:\n${formatCostTable({ day: daily[0]!.day, by: 'step', records: daily, budgetUsd: null, budgetSource: '' })}`);
  });

  it('OpenAI SDK with recovered 429, 500 and malformed answers: llm.costs.daily equals the server’s billed usage priced with the table', async () => {
    const emitted: CostEvent[] = [];
    const h = await startHarness({ LLM_CALL_RETRIES: '2', COST_FLUSH_INTERVAL: '200ms', LLM_POOL_SLOTS: '4' }, {}, { onCostEvent: (e) => emitted.push(e) });
    onTestFinished(() => h.close());
    const { server, config } = h;
    server.addFault({ match: { documentId: 'f-429', step: 'extract' }, times: 1, action: { status: 429, retryAfterSeconds: 1 } });
    server.addFault({ match: { documentId: 'f-500', step: 'summarize' }, times: 2, action: { status: 500 } });
    server.addFault({ match: { documentId: 'f-malformed', step: 'classify' }, times: 1, action: { malformed: true } });
    server.addFault({ match: { documentId: 'f-wrong', step: 'extract' }, times: 1, action: { wrongShape: true } });
    const aggregator = await startTestAggregator(config, h.tk.kafka);
    const ids = ['f-429', 'f-500', 'f-malformed', 'f-wrong', ...Array.from({ length: 16 }, (_, i) => `ok-${i}`)];
    await h.produce(ids.map((id) => doc(id)));
    const out = await readTopics(h.tk.kafka, outputTopics(config), { until: (r) => r.length >= ids.length, timeoutMs: 45_000 });
    expect(out.map((r) => r.key).sort()).toEqual([...ids].sort());
    expect(out.every((r) => r.topic !== config.topics.dlq)).toBe(true);

    const stats = server.stats();
    // The faults happened, and were recovered inside the calls (no document went to a retry topic).
    expect(stats.outcomes['rateLimited']).toBe(1);
    expect(stats.outcomes['fault']).toBe(2);
    expect(stats.outcomes['malformed']).toBe(1);
    expect(stats.outcomes['wrongShape']).toBe(1);
    expect(h.app.retry.stats().routes.retry + h.app.raw.stats().routes.retry).toBe(0);

    const daily = await dailyTotals(aggregator, config, h.tk.kafka, () => stats.billedRequests);
    const billed = server.requests().filter((r) => r.billed);
    const expectedPico = billed.reduce((s, r) => {
      const p = PRICE_TABLE[r.model!]!;
      return s + BigInt(r.promptTokens) * usdToPico(p.inputPer1k / 1000) + BigInt(r.completionTokens) * usdToPico(p.outputPer1k / 1000);
    }, 0n);
    expect(calls(daily)).toBe(billed.length);
    expect(billed.length).toBe(ids.length * 3 + 2); // + the repairs of the malformed and the wrong-shape answer
    expect(emitted).toHaveLength(billed.length);
    expect(Math.abs(picoToUsd(pico(daily)) - picoToUsd(expectedPico))).toBeLessThan(1e-9);
    expect(pico(daily)).toBe(expectedPico);
    expect(daily.reduce((n, d) => n + d.input_tokens, 0)).toBe(stats.billedPromptTokens);
    expect(daily.reduce((n, d) => n + d.output_tokens, 0)).toBe(stats.billedCompletionTokens);
  });

  it('every model in the table, with cached input, service tiers, reasoning tokens, faults and retry topics: llm.costs.daily equals the server\'s bill to the pico-dollar', async () => {
    const models = Object.keys(PRICE_TABLE);
    const emitted: CostEvent[] = [];
    const h = await startHarness(
      { LLM_CALL_RETRIES: '1', COST_FLUSH_INTERVAL: '200ms', LLM_POOL_SLOTS: '4', LLM_SERVICE_TIER: 'auto' },
      {
        // Our prompts are shorter than OpenAI's 1024-token floor: a lower floor makes the shared
        // static prefix show up as cached tokens, in 16-token steps, so the cached price is exercised.
        promptCache: { minTokens: 64, blockTokens: 16 },
        // 13 models and 3 tiers taken in turn: every model is billed at every tier within 39 answers.
        answerModels: models,
        serviceTier: ['default', 'flex', 'priority'],
        reasoningTokens: 48,
      },
      { onCostEvent: (e) => emitted.push(e) },
    );
    onTestFinished(() => h.close());
    const { server, config } = h;
    server.addFault({ match: { documentId: 'm-429', step: 'extract' }, times: 1, action: { status: 429, retryAfterMs: 200 } });
    // Two 500s outlast LLM_CALL_RETRIES=1: the document goes to a retry topic and resumes at summarize.
    server.addFault({ match: { documentId: 'm-500', step: 'summarize' }, times: 2, action: { status: 500 } });
    server.addFault({ match: { documentId: 'm-503', step: 'classify' }, times: 2, action: { status: 503 } });
    server.addFault({ match: { documentId: 'm-malformed', step: 'classify' }, times: 1, action: { malformed: true } });
    const aggregator = await startTestAggregator(config, h.tk.kafka);
    const ids = ['m-429', 'm-500', 'm-503', 'm-malformed', ...Array.from({ length: 26 }, (_, i) => `m-ok-${i}`)];
    await h.produce(ids.map((id) => doc(id)));
    const out = await readTopics(h.tk.kafka, [config.topics.enriched, config.topics.review, config.topics.dlq], { until: (r) => r.length >= ids.length, timeoutMs: 90_000 });
    expect(out.map((r) => r.key).sort()).toEqual([...ids].sort());
    expect(out.every((r) => r.topic !== config.topics.dlq)).toBe(true);
    // The faults happened: two documents went through a retry topic, the others recovered in the call.
    expect(h.app.raw.stats().routes.retry + h.app.retry.stats().routes.retry).toBe(2);
    expect(server.stats().outcomes).toMatchObject({ rateLimited: 1, fault: 4, malformed: 1 });

    const billed = server.requests().filter((r) => r.billed);
    const daily = await dailyTotals(aggregator, config, h.tk.kafka, () => billed.length);
    expect(emitted).toHaveLength(billed.length);
    expect(calls(daily)).toBe(billed.length);

    // The bill, priced here independently: integer pico-dollars per token, the tier's price where
    // the table lists one for the model, else the standard price.
    const perToken = (per1k: number) => BigInt(Math.round(per1k * 1e9));
    const bill = (r: RequestRecord): bigint => {
      const base = PRICE_TABLE[r.answeredModel!]!;
      const p = (r.serviceTier === 'flex' || r.serviceTier === 'priority' ? base[r.serviceTier] : undefined) ?? base;
      const cached = BigInt(r.cachedTokens ?? 0);
      return (BigInt(r.promptTokens) - cached) * perToken(p.inputPer1k) + cached * perToken(p.cachedInputPer1k) + BigInt(r.completionTokens) * perToken(p.outputPer1k);
    };
    const unlisted = (r: RequestRecord) => r.serviceTier !== 'default' && !PRICE_TABLE[r.answeredModel!]![r.serviceTier as 'flex' | 'priority'];
    const lines: string[] = [];
    for (const model of models) {
      const mine = billed.filter((r) => r.answeredModel === model);
      const record = daily.find((d) => d.model === model);
      expect(mine.length, model).toBeGreaterThanOrEqual(6);
      expect(new Set(mine.map((r) => r.serviceTier)), model).toEqual(new Set(['default', 'flex', 'priority']));
      expect(record, model).toBeDefined();
      const expected = mine.reduce((s, r) => s + bill(r), 0n);
      expect(BigInt(record!.cost_pico_usd), model).toBe(expected);
      expect(record!.calls, model).toBe(mine.length);
      expect(record!.input_tokens, model).toBe(mine.reduce((s, r) => s + r.promptTokens, 0));
      expect(record!.cached_input_tokens, model).toBe(mine.reduce((s, r) => s + (r.cachedTokens ?? 0), 0));
      expect(record!.output_tokens, model).toBe(mine.reduce((s, r) => s + r.completionTokens, 0));
      expect(record!.reasoning_tokens, model).toBe(mine.reduce((s, r) => s + (r.reasoningTokens ?? 0), 0));
      expect(record!.price_sources.fallback, model).toBe(mine.filter(unlisted).length);
      for (const tier of ['default', 'flex', 'priority']) expect(record!.by_tier?.[tier]?.calls, `${model} ${tier}`).toBe(mine.filter((r) => r.serviceTier === tier).length);
      lines.push(`  ${model.padEnd(14)} ${String(mine.length).padStart(3)} calls  ${String(record!.cached_input_tokens).padStart(5)} cached  ${String(record!.reasoning_tokens).padStart(4)} reasoning  ${record!.cost_pico_usd.padStart(12)} pico = expected ${expected}`);
    }
    expect(daily.map((d) => d.model).sort()).toEqual([...models].sort());
    expect(pico(daily)).toBe(billed.reduce((s, r) => s + bill(r), 0n));
    expect(billed.some((r) => (r.cachedTokens ?? 0) > 0) && billed.some((r) => (r.reasoningTokens ?? 0) > 0)).toBe(true);
    console.log(`[costs] per model, ${billed.length} billed calls, faults and 2 retry-topic round trips:\n${lines.join('\n')}`);
  });

  it('an unknown model: fallback-priced events, a warning naming it, and fallback counts in the totals', async () => {
    const config = testConfig({ LLM_MODEL: 'mystery-model-1', LLM_CACHE_SIZE: '0', COST_FLUSH_INTERVAL: '200ms' });
    const tk = await openTestKafka(config);
    const aggregator = await startTestAggregator(config, tk.kafka);
    const { logger, lines } = capturingLogger('warn');
    const emitted: CostEvent[] = [];
    const app = await startTestApp(config, { onCostEvent: (e) => emitted.push(e) }, logger);
    const docs = corpusDocs(5, 'unknown');
    await sendMessages(tk.kafka, config.topics.raw, docs.map((d) => ({ key: d.id, value: JSON.stringify(d) })));
    await readTopics(tk.kafka, [config.topics.enriched, config.topics.review], { until: (r) => r.length >= docs.length, timeoutMs: 30_000 });

    expect(emitted).toHaveLength(15);
    expect(emitted.every((e) => e.model === 'mystery-model-1' && e.price_source === 'fallback' && e.cost_usd > 0)).toBe(true);
    const warnings = lines.filter((l) => l['level'] === 'warn' && l['model'] === 'mystery-model-1');
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0]!['msg'])).toContain('fallback');
    const metric = await app.metrics.priceFallbacks.get();
    expect(metric.values.find((v) => v.labels['model'] === 'mystery-model-1')?.value).toBe(15);

    const daily = await dailyTotals(aggregator, config, tk.kafka, () => emitted.length);
    expect(daily).toHaveLength(1);
    expect(daily[0]!.model).toBe('mystery-model-1');
    expect(daily[0]!.price_sources).toEqual({ table: 0, override: 0, fallback: 15 });
    expect(pico(daily)).toBe(emitted.reduce((s, e) => s + usdToPico(e.cost_usd), 0n));
  });
});
