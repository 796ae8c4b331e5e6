/**
 * The demo corpus through the real SDK against the fake server with a prompt prefix cache: how
 * much of the input the provider bills at the cached price, and what that saved. Two caches: the
 * one OpenAI runs (prompts of 1024 tokens and more, hits in steps of 128), and an exact one (any
 * shared prefix, token by token), which measures how much of each prompt is the static part the
 * layout puts first: the most any prefix cache could bill at the cached price.
 */
import { countTokens } from 'gpt-tokenizer';
import { afterEach, describe, expect, it } from 'vitest';
import type { DailyCost } from '../../src/contracts/index.ts';
import { createCostAggregator, type CostAggregator } from '../../src/costs/aggregator.ts';
import { loadDailyCosts } from '../../src/costs/report.ts';
import { chainSteps } from '../../src/llm/chain/steps/index.ts';
import { PRICE_TABLE } from '../../src/llm/pricing.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { sampleCorpus } from '../support/docs.ts';
import type { PromptCacheOptions } from '../support/fake-openai-billing.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { readTopics } from '../support/kafka.ts';
import { testLogger } from '../support/logger.ts';
import { sleep } from '../support/time.ts';

let h: Harness | undefined;
let aggregator: CostAggregator | undefined;
afterEach(async () => {
  await aggregator?.abort();
  await h?.close();
  aggregator = undefined;
  h = undefined;
});

const corpus = sampleCorpus();

async function runCorpus(promptCache: PromptCacheOptions) {
  h = await startHarness({ COST_FLUSH_INTERVAL: '200ms', LLM_POOL_SLOTS: '4' }, { promptCache });
  const { config, server } = h;
  aggregator = createCostAggregator({ kafka: h.tk.kafka, config, budgetUsd: () => undefined, logger: testLogger() });
  await aggregator.start();
  await h.produce(corpus);
  const out = await readTopics(h.tk.kafka, [config.topics.enriched, config.topics.review, config.topics.dlq], { until: (r) => r.length >= corpus.length, timeoutMs: 90_000 });
  expect(out).toHaveLength(corpus.length);
  const billed = server.requests().filter((r) => r.billed);
  const a = aggregator;
  const deadline = Date.now() + 30_000;
  while (a.totals().reduce((n, t) => n + t.calls, 0) < billed.length) {
    if (Date.now() > deadline) throw new Error('the aggregator did not count every call');
    await sleep(50);
  }
  await a.flush();
  const daily: DailyCost[] = await loadDailyCosts(h.tk.kafka, config.topics.costsDaily, 'probe', silentLogger());
  expect(daily).toHaveLength(1);
  const d = daily[0]!;
  // What the daily record says is what the server billed, and the saving is the cached tokens
  // times the difference of the two input prices (gpt-4o-mini: $0.15 and $0.075 per 1M).
  const p = PRICE_TABLE['gpt-4o-mini']!;
  expect(d.calls).toBe(billed.length);
  expect(d.input_tokens).toBe(server.stats().billedPromptTokens);
  expect(d.cached_input_tokens).toBe(server.stats().billedCachedTokens);
  expect(BigInt(d.cache_saving_pico_usd ?? '0')).toBe(BigInt(d.cached_input_tokens ?? 0) * BigInt(Math.round((p.inputPer1k - p.cachedInputPer1k) * 1e9)));
  const share = (d.cached_input_tokens ?? 0) / d.input_tokens;
  const uncachedPico = BigInt(d.cost_pico_usd) + BigInt(d.cache_saving_pico_usd ?? '0');
  return { d, billed, share, saved: Number(d.cache_saving_pico_usd ?? '0') / 1e12, uncached: Number(uncachedPico) / 1e12 };
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

describe('prompt caching on the demo corpus', () => {
  it('with OpenAI\'s rule: only prompts of 1024 tokens and more are cached, and the bill says what was', async () => {
    const { d, billed, share, saved, uncached } = await runCorpus({});
    for (const r of billed) if ((r.cachedTokens ?? 0) > 0) expect(r.promptTokens).toBeGreaterThanOrEqual(1024);
    const longest = Math.max(...billed.map((r) => r.promptTokens));
    console.log(
      `[prompt cache] demo corpus, OpenAI rule (>= 1024 tokens, steps of 128): ${d.cached_input_tokens} of ${d.input_tokens} input tokens cached (${pct(share)}), ` +
        `saved $${saved.toFixed(6)} of $${uncached.toFixed(6)}; the longest prompt was ${longest} tokens`,
    );
  });

  it('with an exact prefix cache: every call after a step\'s first reuses that step\'s whole static part', async () => {
    const { d, billed, share, saved, uncached } = await runCorpus({ minTokens: 1, blockTokens: 1 });
    // Each step's system prompt, as the bundled prompt files make it (the same for every document).
    const before = { entities: { people: [], organizations: [], dates: [], topics: [] }, summary: 's' };
    const staticTokens: Record<string, number> = Object.fromEntries(
      chainSteps({ categories: h!.config.llm.categories }).map((s) => [s.name, countTokens(s.request({ id: 'x', content: 'x' }, before).messages.system)]),
    );
    for (const step of ['extract', 'summarize', 'classify'] as const) {
      const calls = billed.filter((r) => r.step === step).sort((a, b) => a.at - b.at);
      expect(calls.length).toBe(corpus.length);
      // Calls on the wire at the same moment as the first cannot hit yet; all later ones must.
      const later = calls.filter((r) => r.at > calls[0]!.at + calls[0]!.durationMs);
      expect(later.length).toBeGreaterThan(corpus.length / 2);
      for (const r of later) expect(r.cachedTokens, `${step} ${r.documentId}`).toBeGreaterThanOrEqual(staticTokens[step]!);
    }
    expect(share).toBeGreaterThan(0.2);
    console.log(
      `[prompt cache] demo corpus, exact prefix cache: ${d.cached_input_tokens} of ${d.input_tokens} input tokens are a shared prefix (${pct(share)}), ` +
        `which would save $${saved.toFixed(6)} of $${uncached.toFixed(6)} at gpt-4o-mini's cached price; static parts: ${JSON.stringify(staticTokens)} tokens`,
    );
  });
});
