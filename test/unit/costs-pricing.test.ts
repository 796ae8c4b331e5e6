/** Model prices: the seed's table, dated snapshots, the override file, and the explicit fallback. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FALLBACK_PRICE, PRICE_TABLE, createPricing, loadPriceOverrides } from '../../src/llm/pricing.ts';
import { ConfigError } from '../../src/errors.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { capturingLogger } from '../support/logger.ts';


function tempFile(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'prices-')), 'prices.json');
  writeFileSync(path, content);
  return path;
}

/** Exact expected cost: per-1K prices as integer pico-dollars per token. */
function picoCost(model: string, input: number, output: number, cached = 0, tier: 'default' | 'flex' | 'priority' = 'default'): number {
  const base = PRICE_TABLE[model]!;
  const p = tier === 'default' ? base : base[tier]!;
  const perToken = (per1k: number) => Math.round(per1k * 1e9);
  return ((input - cached) * perToken(p.inputPer1k) + cached * perToken(p.cachedInputPer1k) + output * perToken(p.outputPer1k)) / 1e12;
}

/** The old positional form, for the seed's cases: no cached tokens, no tier. */
const plain = (pricing: ReturnType<typeof createPricing>, model: string, inputTokens: number, outputTokens: number) => {
  const { costUsd, source } = pricing.price({ model, inputTokens, cachedInputTokens: 0, outputTokens });
  return { costUsd, source };
};

describe('pricing', () => {
  const pricing = createPricing({ logger: silentLogger() });

  it('keeps the seed prices (USD per 1K tokens); the seed models have no prompt caching', () => {
    expect(PRICE_TABLE['gpt-4-turbo']).toEqual({ inputPer1k: 0.01, cachedInputPer1k: 0.01, outputPer1k: 0.03 });
    expect(PRICE_TABLE['gpt-4']).toEqual({ inputPer1k: 0.03, cachedInputPer1k: 0.03, outputPer1k: 0.06 });
    expect(PRICE_TABLE['gpt-3.5-turbo']).toEqual({ inputPer1k: 0.0005, cachedInputPer1k: 0.0005, outputPer1k: 0.0015 });
    expect(plain(pricing, 'gpt-4-turbo', 1000, 1000)).toEqual({ costUsd: 0.04, source: 'table' });
    expect(plain(pricing, 'gpt-4', 1000, 1000)).toEqual({ costUsd: 0.09, source: 'table' });
    expect(plain(pricing, 'gpt-3.5-turbo', 1000, 1000)).toEqual({ costUsd: 0.002, source: 'table' });
    expect(plain(pricing, 'gpt-4', 0, 0).costUsd).toBe(0);
    // A cached token of a model without caching costs the full input price, and saves nothing.
    const cachedGpt4 = pricing.price({ model: 'gpt-4', inputTokens: 2000, cachedInputTokens: 1536, outputTokens: 0 });
    expect(cachedGpt4).toEqual({ costUsd: 0.06, source: 'table', cacheSavingUsd: 0, pricedTier: 'default' });
  });

  it('prices odd token counts to the pico-dollar', () => {
    for (const [model, i, o] of [['gpt-4o-mini', 123, 45], ['gpt-4', 7, 3], ['gpt-3.5-turbo', 999_999, 1], ['gpt-4-turbo', 1, 999_999]] as const) {
      const got = plain(pricing, model, i, o).costUsd;
      expect(Math.abs(got - picoCost(model, i, o))).toBeLessThan(1e-13);
      expect(Number.isInteger(Math.round(got * 1e12))).toBe(true);
    }
  });

  it('has a cached-input price for every model, at the published discount, in whole pico-dollars per token', () => {
    // 50 % off for gpt-4o, 75 % for gpt-4.1 and the o-series, 90 % for gpt-5; none for the seed models.
    const discount: Record<string, number> = {
      'gpt-4-turbo': 0, 'gpt-4': 0, 'gpt-3.5-turbo': 0, 'gpt-4o': 0.5, 'gpt-4o-mini': 0.5, 'gpt-4.1': 0.75, 'gpt-4.1-mini': 0.75,
      'gpt-4.1-nano': 0.75, 'o3': 0.75, 'o4-mini': 0.75, 'gpt-5': 0.9, 'gpt-5-mini': 0.9, 'gpt-5-nano': 0.9,
    };
    expect(Object.keys(PRICE_TABLE).sort()).toEqual(Object.keys(discount).sort());
    for (const [model, p] of Object.entries(PRICE_TABLE)) {
      expect(p.cachedInputPer1k, model).toBeCloseTo(p.inputPer1k * (1 - discount[model]!), 12);
      for (const tp of [p, p.flex, p.priority].filter((x) => x !== undefined)) {
        for (const per1k of [tp.inputPer1k, tp.cachedInputPer1k, tp.outputPer1k]) {
          expect(Math.abs(per1k * 1e9 - Math.round(per1k * 1e9)), `${model} ${per1k}`).toBeLessThan(1e-6);
        }
      }
      // Flex, where listed, is half the standard price.
      if (p.flex) expect([p.flex.inputPer1k * 2, p.flex.cachedInputPer1k * 2, p.flex.outputPer1k * 2]).toEqual([p.inputPer1k, p.cachedInputPer1k, p.outputPer1k].map((x) => expect.closeTo(x, 12)));
    }
    expect(Object.entries(PRICE_TABLE).filter(([, p]) => p.flex).map(([m]) => m).sort()).toEqual(['gpt-5', 'gpt-5-mini', 'gpt-5-nano', 'o3', 'o4-mini']);
  });

  it('prices cached input at the cached price, and says what it saved', () => {
    // gpt-4o-mini: $0.15 / $0.075 / $0.60 per 1M tokens.
    const r = pricing.price({ model: 'gpt-4o-mini', inputTokens: 2048, cachedInputTokens: 1536, outputTokens: 100 });
    expect(r.costUsd).toBe((512 * 150_000 + 1536 * 75_000 + 100 * 600_000) / 1e12);
    expect(r.cacheSavingUsd).toBe((1536 * 75_000) / 1e12);
    expect(r.source).toBe('table');
    // gpt-5: 90 % off.
    const g = pricing.price({ model: 'gpt-5-2025-08-07', inputTokens: 1200, cachedInputTokens: 1152, outputTokens: 10 });
    expect(g.costUsd).toBe((48 * 1_250_000 + 1152 * 125_000 + 10 * 10_000_000) / 1e12);
    for (const model of Object.keys(PRICE_TABLE)) {
      expect(pricing.price({ model, inputTokens: 5000, cachedInputTokens: 3200, outputTokens: 321 }).costUsd).toBe(picoCost(model, 5000, 321, 3200));
    }
  });

  it('never bills reasoning tokens twice: they are inside the output count, which alone is priced', () => {
    // The pricing input has no reasoning field at all: o3 with 900 output tokens, 700 of them reasoning.
    expect(pricing.price({ model: 'o3', inputTokens: 100, cachedInputTokens: 0, outputTokens: 900 }).costUsd).toBe(picoCost('o3', 100, 900));
  });

  it('caps cached tokens at the prompt tokens: a server reporting more is not trusted', () => {
    const r = pricing.price({ model: 'gpt-4o', inputTokens: 100, cachedInputTokens: 5000, outputTokens: 0 });
    expect(r.costUsd).toBe(picoCost('gpt-4o', 100, 0, 100));
  });

  it('prices by the tier the response reports: flex and priority where listed, standard when none is reported', () => {
    for (const [model, tier] of [['o3', 'flex'], ['gpt-5-mini', 'flex'], ['gpt-4o', 'priority'], ['o4-mini', 'priority'], ['gpt-5', 'priority']] as const) {
      const r = pricing.price({ model, inputTokens: 3000, cachedInputTokens: 1280, outputTokens: 77, serviceTier: tier });
      expect(r, `${model} ${tier}`).toEqual({ costUsd: picoCost(model, 3000, 77, 1280, tier), source: 'table', cacheSavingUsd: expect.any(Number), pricedTier: tier });
    }
    expect(pricing.price({ model: 'o3', inputTokens: 2000, cachedInputTokens: 0, outputTokens: 0, serviceTier: 'flex' }).costUsd).toBe(0.002);
    for (const none of [undefined, null, 'default']) {
      expect(pricing.price({ model: 'o3', inputTokens: 2000, cachedInputTokens: 0, outputTokens: 0, serviceTier: none })).toMatchObject({ costUsd: 0.004, source: 'table', pricedTier: 'default' });
    }
  });

  it('prices an unknown tier, or a tier without a price, at the standard price as "fallback", warning once', () => {
    const { logger, lines } = capturingLogger('warn');
    const fallbacks: string[] = [];
    const p = createPricing({ logger, onFallback: (m) => fallbacks.push(m) });
    const scale = p.price({ model: 'gpt-4o', inputTokens: 1000, cachedInputTokens: 0, outputTokens: 0, serviceTier: 'scale' });
    p.price({ model: 'gpt-4o', inputTokens: 1000, cachedInputTokens: 0, outputTokens: 0, serviceTier: 'scale' });
    expect(scale).toEqual({ costUsd: 0.0025, source: 'fallback', cacheSavingUsd: 0, pricedTier: 'default' });
    // gpt-4o has no flex price: standard price, fallback.
    expect(p.price({ model: 'gpt-4o', inputTokens: 1000, cachedInputTokens: 0, outputTokens: 0, serviceTier: 'flex' })).toMatchObject({ costUsd: 0.0025, source: 'fallback' });
    expect(fallbacks).toEqual(['gpt-4o', 'gpt-4o', 'gpt-4o']);
    const warnings = lines.filter((l) => l['level'] === 'warn');
    expect(warnings.map((w) => w['serviceTier'])).toEqual(['scale', 'flex']);
    expect(String(warnings[0]!['msg'])).toMatch(/service tier "scale".*gpt-4o.*standard price/);
  });

  it('prices a dated snapshot as its family, by the longest known prefix', () => {
    expect(plain(pricing, 'gpt-4o-mini-2024-07-18', 1000, 1000)).toEqual(plain(pricing, 'gpt-4o-mini', 1000, 1000));
    expect(plain(pricing, 'gpt-4-0613', 1000, 0).costUsd).toBe(0.03);
    expect(plain(pricing, 'gpt-4-turbo-2024-04-09', 1000, 0).costUsd).toBe(0.01);
    expect(plain(pricing, 'gpt-4o-2024-08-06', 1000, 0).costUsd).toBe(0.0025);
    // A prefix only counts at a dash: "gpt-4o" is not a snapshot of "gpt-4".
    expect(plain(pricing, 'gpt-4o', 1000, 0).costUsd).toBe(0.0025);
  });

  it('takes prices from LLM_PRICES_FILE before the table, and the table for the rest', () => {
    const file = tempFile(JSON.stringify({ 'gpt-4o-mini': { inputPer1k: 1, outputPer1k: 2 }, 'acme-llm': { inputPer1k: 0.5, outputPer1k: 0 } }));
    const p = createPricing({ overrides: loadPriceOverrides(file), logger: silentLogger() });
    expect(plain(p, 'gpt-4o-mini', 1000, 500)).toEqual({ costUsd: 2, source: 'override' });
    expect(plain(p, 'gpt-4o-mini-2024-07-18', 1000, 0)).toEqual({ costUsd: 1, source: 'override' });
    expect(plain(p, 'acme-llm', 2000, 100)).toEqual({ costUsd: 1, source: 'override' });
    expect(plain(p, 'gpt-4', 1000, 1000)).toEqual({ costUsd: 0.09, source: 'table' });
    // Without cachedInputPer1k an overridden model has no caching discount.
    expect(p.price({ model: 'acme-llm', inputTokens: 2000, cachedInputTokens: 2000, outputTokens: 0 }).costUsd).toBe(1);
  });

  it('reads cachedInputPer1k and flex / priority prices from LLM_PRICES_FILE', () => {
    const file = tempFile(JSON.stringify({
      'acme-llm': { inputPer1k: 0.002, cachedInputPer1k: 0.0005, outputPer1k: 0.008, flex: { inputPer1k: 0.001, cachedInputPer1k: 0.00025, outputPer1k: 0.004 } },
    }));
    const p = createPricing({ overrides: loadPriceOverrides(file), logger: silentLogger() });
    expect(p.price({ model: 'acme-llm', inputTokens: 2000, cachedInputTokens: 1000, outputTokens: 1000 })).toEqual({
      costUsd: 0.002 + 0.0005 + 0.008, source: 'override', cacheSavingUsd: 0.0015, pricedTier: 'default',
    });
    expect(p.price({ model: 'acme-llm', inputTokens: 2000, cachedInputTokens: 1000, outputTokens: 1000, serviceTier: 'flex' })).toEqual({
      costUsd: 0.001 + 0.00025 + 0.004, source: 'override', cacheSavingUsd: 0.00075, pricedTier: 'flex',
    });
  });

  it.each([
    ['a missing file', undefined],
    ['bad JSON', '{"gpt-4": '],
    ['a wrong shape', JSON.stringify({ 'gpt-4': { input: 0.03, output: 0.06 } })],
    ['a negative price', JSON.stringify({ 'gpt-4': { inputPer1k: -1, outputPer1k: 0 } })],
    ['a list', JSON.stringify([1, 2])],
    ['a cached price above the input price', JSON.stringify({ 'gpt-4': { inputPer1k: 0.03, cachedInputPer1k: 0.04, outputPer1k: 0.06 } })],
    ['an unknown tier', JSON.stringify({ 'gpt-4': { inputPer1k: 0.03, outputPer1k: 0.06, turbo: { inputPer1k: 1, outputPer1k: 1 } } })],
  ])('rejects %s with a ConfigError naming LLM_PRICES_FILE', (_what, content) => {
    const path = content === undefined ? join(tmpdir(), `no-such-prices-${Date.now()}.json`) : tempFile(content);
    let err: unknown;
    try {
      loadPriceOverrides(path);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('LLM_PRICES_FILE');
    expect((err as Error).message).toContain(path);
  });

  it('prices an unknown model with the fallback, says so once, and counts every fallback', () => {
    const { logger, lines } = capturingLogger('warn');
    const fallbacks: string[] = [];
    const p = createPricing({ logger, onFallback: (m) => fallbacks.push(m) });
    const a = plain(p, 'mystery-model-1', 1000, 1000);
    const b = plain(p, 'mystery-model-1', 2000, 0);
    expect(a).toEqual({ costUsd: FALLBACK_PRICE.inputPer1k + FALLBACK_PRICE.outputPer1k, source: 'fallback' });
    expect(b).toEqual({ costUsd: 2 * FALLBACK_PRICE.inputPer1k, source: 'fallback' });
    expect(fallbacks).toEqual(['mystery-model-1', 'mystery-model-1']);
    const warnings = lines.filter((l) => l['level'] === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!['model']).toBe('mystery-model-1');
    expect(String(warnings[0]!['msg'])).toMatch(/mystery-model-1.*fallback.*LLM_PRICES_FILE/);
    // The fallback is an expensive price: an unknown model over-reports rather than under.
    expect(FALLBACK_PRICE.inputPer1k).toBeGreaterThanOrEqual(PRICE_TABLE['gpt-4o-mini']!.inputPer1k);
    // Its cached tokens get no discount either.
    expect(p.price({ model: 'mystery-model-1', inputTokens: 1000, cachedInputTokens: 1000, outputTokens: 0 }).costUsd).toBe(FALLBACK_PRICE.inputPer1k);
  });
});
