/** Model prices: the seed's table, dated snapshots, the override file, and the explicit fallback. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FALLBACK_PRICE, PRICE_TABLE, createPricing, loadPriceOverrides } from '../../src/llm/pricing.ts';
import { ConfigError } from '../../src/errors.ts';
import { createLogger, silentLogger } from '../../src/observability/logger.ts';

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ level: 'warn', destination }), lines };
}

function tempFile(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'prices-')), 'prices.json');
  writeFileSync(path, content);
  return path;
}

/** Exact expected cost: per-1K prices as integer pico-dollars per token. */
function picoCost(model: string, input: number, output: number): number {
  const p = PRICE_TABLE[model]!;
  return (input * Math.round(p.inputPer1k * 1e9) + output * Math.round(p.outputPer1k * 1e9)) / 1e12;
}

describe('pricing', () => {
  const pricing = createPricing({ logger: silentLogger() });

  it('keeps the seed prices (USD per 1K tokens)', () => {
    expect(PRICE_TABLE['gpt-4-turbo']).toEqual({ inputPer1k: 0.01, outputPer1k: 0.03 });
    expect(PRICE_TABLE['gpt-4']).toEqual({ inputPer1k: 0.03, outputPer1k: 0.06 });
    expect(PRICE_TABLE['gpt-3.5-turbo']).toEqual({ inputPer1k: 0.0005, outputPer1k: 0.0015 });
    expect(pricing.price('gpt-4-turbo', 1000, 1000)).toEqual({ costUsd: 0.04, source: 'table' });
    expect(pricing.price('gpt-4', 1000, 1000)).toEqual({ costUsd: 0.09, source: 'table' });
    expect(pricing.price('gpt-3.5-turbo', 1000, 1000)).toEqual({ costUsd: 0.002, source: 'table' });
    expect(pricing.price('gpt-4', 0, 0).costUsd).toBe(0);
  });

  it('prices odd token counts to the pico-dollar', () => {
    for (const [model, i, o] of [['gpt-4o-mini', 123, 45], ['gpt-4', 7, 3], ['gpt-3.5-turbo', 999_999, 1], ['gpt-4-turbo', 1, 999_999]] as const) {
      const got = pricing.price(model, i, o).costUsd;
      expect(Math.abs(got - picoCost(model, i, o))).toBeLessThan(1e-13);
      expect(Number.isInteger(Math.round(got * 1e12))).toBe(true);
    }
  });

  it('prices a dated snapshot as its family, by the longest known prefix', () => {
    expect(pricing.price('gpt-4o-mini-2024-07-18', 1000, 1000)).toEqual(pricing.price('gpt-4o-mini', 1000, 1000));
    expect(pricing.price('gpt-4-0613', 1000, 0).costUsd).toBe(0.03);
    expect(pricing.price('gpt-4-turbo-2024-04-09', 1000, 0).costUsd).toBe(0.01);
    expect(pricing.price('gpt-4o-2024-08-06', 1000, 0).costUsd).toBe(0.0025);
    // A prefix only counts at a dash: "gpt-4o" is not a snapshot of "gpt-4".
    expect(pricing.price('gpt-4o', 1000, 0).costUsd).toBe(0.0025);
  });

  it('takes prices from LLM_PRICES_FILE before the table, and the table for the rest', () => {
    const file = tempFile(JSON.stringify({ 'gpt-4o-mini': { inputPer1k: 1, outputPer1k: 2 }, 'acme-llm': { inputPer1k: 0.5, outputPer1k: 0 } }));
    const p = createPricing({ overrides: loadPriceOverrides(file), logger: silentLogger() });
    expect(p.price('gpt-4o-mini', 1000, 500)).toEqual({ costUsd: 2, source: 'override' });
    expect(p.price('gpt-4o-mini-2024-07-18', 1000, 0)).toEqual({ costUsd: 1, source: 'override' });
    expect(p.price('acme-llm', 2000, 100)).toEqual({ costUsd: 1, source: 'override' });
    expect(p.price('gpt-4', 1000, 1000)).toEqual({ costUsd: 0.09, source: 'table' });
  });

  it.each([
    ['a missing file', undefined],
    ['bad JSON', '{"gpt-4": '],
    ['a wrong shape', JSON.stringify({ 'gpt-4': { input: 0.03, output: 0.06 } })],
    ['a negative price', JSON.stringify({ 'gpt-4': { inputPer1k: -1, outputPer1k: 0 } })],
    ['a list', JSON.stringify([1, 2])],
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
    const { logger, lines } = capturingLogger();
    const fallbacks: string[] = [];
    const p = createPricing({ logger, onFallback: (m) => fallbacks.push(m) });
    const a = p.price('mystery-model-1', 1000, 1000);
    const b = p.price('mystery-model-1', 2000, 0);
    expect(a).toEqual({ costUsd: FALLBACK_PRICE.inputPer1k + FALLBACK_PRICE.outputPer1k, source: 'fallback' });
    expect(b).toEqual({ costUsd: 2 * FALLBACK_PRICE.inputPer1k, source: 'fallback' });
    expect(fallbacks).toEqual(['mystery-model-1', 'mystery-model-1']);
    const warnings = lines.filter((l) => l['level'] === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!['model']).toBe('mystery-model-1');
    expect(String(warnings[0]!['msg'])).toMatch(/mystery-model-1.*fallback.*LLM_PRICES_FILE/);
    // The fallback is an expensive price: an unknown model over-reports rather than under.
    expect(FALLBACK_PRICE.inputPer1k).toBeGreaterThanOrEqual(PRICE_TABLE['gpt-4o-mini']!.inputPer1k);
  });
});
