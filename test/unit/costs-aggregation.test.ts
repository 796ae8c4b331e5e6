/** The aggregator's pure parts: exact sums, the breakdowns, the record round trip, and dedup. */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DailyCost, type CostEvent } from '../../src/contracts/index.ts';
import { MAX_RUNS_PER_RECORD, OTHER_RUNS, applyCostEvent, daySpend, fromDailyCost, toDailyCost, utcDay, type TotalsState } from '../../src/costs/daily-totals.ts';
import { createDedupWindow } from '../../src/costs/dedup.ts';
import { picoToUsd, usdToPico } from '../../src/costs/money.ts';
import { costRows, formatCostTable } from '../../src/costs/report.ts';

function event(over: Partial<CostEvent> = {}): CostEvent {
  return {
    call_id: randomUUID(), document_id: 'doc-1', step: 'extract', model: 'gpt-4o-mini', provider: 'openai',
    input_tokens: 100, output_tokens: 20, cost_usd: 0.000027, price_source: 'table', attempt: 1, ok: true,
    instance_id: 'host-1', timestamp: '2026-11-25T10:00:00.000Z', ...over,
  };
}

describe('daily totals', () => {
  it('sums 100,000 small prices exactly, where a float sum drifts', () => {
    const state: TotalsState = new Map();
    let float = 0;
    for (let i = 0; i < 100_000; i++) {
      const cost = 0.000000123457; // 1.23457e-7 USD, a typical small call
      applyCostEvent(state, event({ cost_usd: cost }));
      float += cost;
    }
    const t = state.get('2026-11-25|gpt-4o-mini')!;
    expect(t.total.pico).toBe(123457n * 100_000n);
    expect(t.total.calls).toBe(100_000);
    expect(toDailyCost(t, new Date().toISOString()).cost_usd).toBe(0.0123457);
    expect(float).not.toBe(0.0123457); // why the aggregator does not sum floats
  });

  it('keys by UTC day of the call and model, with step, run, instance and price-source breakdowns', () => {
    const state: TotalsState = new Map();
    const keys = [
      applyCostEvent(state, event({ step: 'extract', run_id: 'r1', cost_usd: 0.001 })),
      applyCostEvent(state, event({ step: 'summarize', run_id: 'r1', cost_usd: 0.002, instance_id: 'host-2', price_source: 'override' })),
      applyCostEvent(state, event({ step: 'classify', cost_usd: 0.004, timestamp: '2026-11-25T23:59:59.999Z' })),
      applyCostEvent(state, event({ cost_usd: 0.008, timestamp: '2026-11-26T00:00:00.000Z' })),
      applyCostEvent(state, event({ model: 'gpt-4', cost_usd: 0.016, price_source: 'fallback', instance_id: undefined })),
      // Offsets in other time zones are billed to their UTC day.
      applyCostEvent(state, event({ cost_usd: 0.032, timestamp: '2026-11-26T01:30:00+02:00' as string })),
    ];
    expect(keys).toEqual(['2026-11-25|gpt-4o-mini', '2026-11-25|gpt-4o-mini', '2026-11-25|gpt-4o-mini', '2026-11-26|gpt-4o-mini', '2026-11-25|gpt-4', '2026-11-25|gpt-4o-mini']);
    const d = toDailyCost(state.get('2026-11-25|gpt-4o-mini')!, '2026-11-25T12:00:00.000Z');
    expect(DailyCost.parse(d)).toEqual(d);
    expect(d.calls).toBe(4);
    expect(d.cost_pico_usd).toBe(usdToPico(0.039).toString());
    expect(d.by_step['extract']!.cost_pico_usd).toBe(usdToPico(0.033).toString());
    expect(d.by_step['classify']!.calls).toBe(1);
    expect(Object.keys(d.by_run)).toEqual(['r1']);
    expect(d.by_run['r1']!.calls).toBe(2);
    expect(d.by_instance['host-2']!.cost_usd).toBe(0.002);
    expect(d.price_sources).toEqual({ table: 3, override: 1, fallback: 0 });
    expect(d.last_event_at).toBe('2026-11-25T23:59:59.999Z');
    expect(state.get('2026-11-25|gpt-4')!.byInstance.has('(unknown)')).toBe(true);
    expect(daySpend([d, toDailyCost(state.get('2026-11-25|gpt-4')!, d.updated_at)], '2026-11-25', 'host-2')).toEqual({ total: usdToPico(0.055), instance: usdToPico(0.002), shadow: 0n });
  });

  it('restores from its own record exactly, and goes on counting from there', () => {
    const state: TotalsState = new Map();
    for (let i = 0; i < 50; i++) applyCostEvent(state, event({ cost_usd: 0.000000000001 * (i + 1), run_id: `r${i % 3}`, step: i % 2 ? 'summarize' : 'classify' }));
    const record = toDailyCost(state.get('2026-11-25|gpt-4o-mini')!, '2026-11-25T12:00:00.000Z');
    const wire = DailyCost.parse(JSON.parse(JSON.stringify(record)));
    const restored: TotalsState = new Map([['2026-11-25|gpt-4o-mini', fromDailyCost(wire)]]);
    expect(toDailyCost(restored.get('2026-11-25|gpt-4o-mini')!, record.updated_at)).toEqual(record);
    applyCostEvent(restored, event({ cost_usd: 0.5 }));
    applyCostEvent(state, event({ cost_usd: 0.5 }));
    expect(restored.get('2026-11-25|gpt-4o-mini')!.total).toEqual(state.get('2026-11-25|gpt-4o-mini')!.total);
  });

  it('carries totals past 2^53 pico-dollars exactly', () => {
    const state: TotalsState = new Map();
    for (let i = 0; i < 10; i++) applyCostEvent(state, event({ cost_usd: 999.999999999999 }));
    const d = toDailyCost(state.get('2026-11-25|gpt-4o-mini')!, '2026-11-25T12:00:00.000Z');
    expect(d.cost_pico_usd).toBe('9999999999999990');
    expect(BigInt(d.cost_pico_usd) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(fromDailyCost(d).total.pico).toBe(9_999_999_999_999_990n);
  });

  it('caps the runs of one record and keeps their sum', () => {
    const state: TotalsState = new Map();
    for (let i = 0; i < MAX_RUNS_PER_RECORD + 5; i++) applyCostEvent(state, event({ run_id: `run-${i}` }));
    const t = state.get('2026-11-25|gpt-4o-mini')!;
    expect(t.byRun.size).toBe(MAX_RUNS_PER_RECORD + 1);
    expect(t.byRun.get(OTHER_RUNS)!.calls).toBe(5);
    applyCostEvent(state, event({ run_id: 'run-0' }));
    expect(t.byRun.get('run-0')!.calls).toBe(2);
  });

  it('sums cached input tokens, reasoning tokens and the caching saving, and breaks totals down by service tier', () => {
    const state: TotalsState = new Map();
    applyCostEvent(state, event({ input_tokens: 2048, cached_input_tokens: 1536, cost_usd: 0.000137, cache_saving_usd: 0.0000384, service_tier: 'default' }));
    applyCostEvent(state, event({ input_tokens: 1200, cached_input_tokens: 1152, output_tokens: 900, reasoning_tokens: 700, cost_usd: 0.0001, cache_saving_usd: 0.00001, service_tier: 'flex' }));
    // A provider that names no tier is served (and priced) at the standard tier.
    applyCostEvent(state, event({ input_tokens: 10, cost_usd: 0.000001 }));
    const d = toDailyCost(state.get('2026-11-25|gpt-4o-mini')!, '2026-11-25T12:00:00.000Z');
    expect(DailyCost.parse(JSON.parse(JSON.stringify(d)))).toEqual(d);
    expect([d.input_tokens, d.cached_input_tokens, d.output_tokens, d.reasoning_tokens]).toEqual([3258, 2688, 940, 700]);
    expect(d.cache_saving_pico_usd).toBe(usdToPico(0.0000484).toString());
    expect(Object.fromEntries(Object.entries(d.by_tier ?? {}).map(([tier, t]) => [tier, [t.calls, t.cached_input_tokens, t.cost_pico_usd]]))).toEqual({
      default: [2, 1536, usdToPico(0.000138).toString()],
      flex: [1, 1152, usdToPico(0.0001).toString()],
    });
    expect(toDailyCost(fromDailyCost(d), d.updated_at)).toEqual(d);
  });

  it('reads a record written before cached tokens and tiers were kept, counting them as 0', () => {
    const old = {
      day: '2026-11-24', model: 'gpt-4o-mini', calls: 2, input_tokens: 300, output_tokens: 40, cost_usd: 0.000069, cost_pico_usd: '69000000',
      by_step: { extract: { calls: 2, input_tokens: 300, output_tokens: 40, cost_usd: 0.000069, cost_pico_usd: '69000000' } },
      by_run: {}, by_instance: {}, price_sources: { table: 2, override: 0, fallback: 0 },
      updated_at: '2026-11-24T12:00:00.000Z', last_event_at: '2026-11-24T11:00:00.000Z',
    };
    const restored = fromDailyCost(DailyCost.parse(old));
    expect(restored.total).toEqual({ calls: 2, inputTokens: 300, cachedInputTokens: 0, outputTokens: 40, reasoningTokens: 0, pico: 69_000_000n, savedPico: 0n });
    const byTier = costRows([DailyCost.parse(old)], '2026-11-24', 'tier');
    expect(byTier.rows.map((r) => [r.name, r.calls])).toEqual([['(tier not recorded)', 2]]);
  });

  it('converts money both ways without loss below 2^53 pico', () => {
    for (const usd of [0, 1e-12, 0.000027, 0.1 + 0.2, 123.456789012345, 9007.199254740991]) {
      expect(picoToUsd(usdToPico(usd))).toBeCloseTo(usd, 12);
    }
    expect(usdToPico(0.1 + 0.2)).toBe(300_000_000_000n);
    expect(utcDay('2026-02-28T23:00:00-02:00')).toBe('2026-03-01');
  });
});

describe('dedup window', () => {
  it('says "first time" once per id, and forgets the oldest beyond its capacity', () => {
    const w = createDedupWindow(3);
    expect(['a', 'b', 'a', 'c', 'b'].map((id) => w.firstTime(id))).toEqual([true, true, false, true, false]);
    expect(w.firstTime('d')).toBe(true); // evicts a
    expect(w.size).toBe(3);
    expect(w.firstTime('a')).toBe(true);
    expect(w.firstTime('d')).toBe(false);
  });

  it('counts a re-delivered stream once', () => {
    const w = createDedupWindow(1000);
    const state: TotalsState = new Map();
    const events = Array.from({ length: 200 }, (_, i) => event({ cost_usd: (i + 1) / 1e6 }));
    for (const e of [...events, ...events.slice(50, 120), ...events.slice(190)]) if (w.firstTime(e.call_id)) applyCostEvent(state, e);
    expect(state.get('2026-11-25|gpt-4o-mini')!.total.calls).toBe(200);
    expect(state.get('2026-11-25|gpt-4o-mini')!.total.pico).toBe(usdToPico((200 * 201) / 2 / 1e6));
  });

  it('with capacity 0 is off', () => {
    const w = createDedupWindow(0);
    expect(w.firstTime('a') && w.firstTime('a')).toBe(true);
  });
});

describe('cost report', () => {
  const state: TotalsState = new Map();
  applyCostEvent(state, event({ step: 'extract', run_id: 'r1', cost_usd: 0.01, input_tokens: 1000, output_tokens: 10 }));
  applyCostEvent(state, event({ step: 'summarize', cost_usd: 0.02, input_tokens: 2000, output_tokens: 20 }));
  applyCostEvent(state, event({ model: 'gpt-4', step: 'extract', run_id: 'r2', cost_usd: 0.5 }));
  applyCostEvent(state, event({ model: 'gpt-4', timestamp: '2026-11-24T10:00:00.000Z', cost_usd: 7 }));
  const records = [...state.values()].map((t) => toDailyCost(t, '2026-11-25T12:00:00.000Z'));

  it('groups one day by model, step or run, most expensive first, with a total', () => {
    const byModel = costRows(records, '2026-11-25', 'model');
    expect(byModel.rows.map((r) => [r.name, r.calls])).toEqual([['gpt-4', 1], ['gpt-4o-mini', 2]]);
    expect(byModel.total.pico).toBe(usdToPico(0.53));
    expect(costRows(records, '2026-11-25', 'step').rows.map((r) => [r.name, r.calls])).toEqual([['extract', 2], ['summarize', 1]]);
    expect(costRows(records, '2026-11-25', 'run').rows.map((r) => [r.name, r.pico])).toEqual([
      ['r2', usdToPico(0.5)], ['(no run id)', usdToPico(0.02)], ['r1', usdToPico(0.01)],
    ]);
  });

  it('prints calls, tokens, USD and the share of the budget', () => {
    const table = formatCostTable({ day: '2026-11-25', by: 'model', records, budgetUsd: 2, budgetSource: 'pipeline.config' });
    expect(table).toContain('LLM costs for 2026-11-25 (UTC) by model; daily budget $2 (pipeline.config)');
    expect(table).toMatch(/gpt-4\s+1\s+100\s+0\s+20\s+\$0\.500000\s+25\.00 %/);
    expect(table).toMatch(/total\s+3\s+3100\s+0\s+50\s+\$0\.530000\s+26\.50 %/);
    expect(formatCostTable({ day: '2026-11-23', by: 'model', records, budgetUsd: null, budgetSource: '' })).toContain('no calls recorded');
    expect(formatCostTable({ day: '2026-11-25', by: 'step', records, budgetUsd: null, budgetSource: '' })).toMatch(/no daily budget set[\s\S]*extract/);
  });

  it('has a "cached" column and a line with what caching saved that day', () => {
    const s2: TotalsState = new Map();
    applyCostEvent(s2, event({ input_tokens: 2048, cached_input_tokens: 1536, cost_usd: 0.000137, cache_saving_usd: 0.0000384 }));
    applyCostEvent(s2, event({ model: 'gpt-5', input_tokens: 1000, cost_usd: 0.00125, service_tier: 'flex' }));
    const recs = [...s2.values()].map((t) => toDailyCost(t, '2026-11-25T12:00:00.000Z'));
    const table = formatCostTable({ day: '2026-11-25', by: 'model', records: recs, budgetUsd: null, budgetSource: '' });
    expect(table).toMatch(/model\s+calls\s+input tok\s+cached\s+output tok\s+cost USD/);
    expect(table).toMatch(/gpt-4o-mini\s+1\s+2048\s+1536\s+20\s+\$0\.000137/);
    expect(table).toMatch(/total\s+2\s+3048\s+1536\s+40\s+\$0\.001387/);
    expect(table).toContain('prompt caching saved $0.000038 this day: 1536 of 3048 input tokens (50.4 %)');
    expect(table).not.toContain('reasoning');
    const byTier = formatCostTable({ day: '2026-11-25', by: 'tier', records: recs, budgetUsd: null, budgetSource: '' });
    expect(byTier).toMatch(/flex\s+1\s+1000\s+0\s+20\s+\$0\.001250/);
    expect(byTier).toMatch(/default\s+1\s+2048\s+1536/);
  });

  it('counts shadow calls apart: the record\'s shadow part, --by purpose, a shadow line, and the day\'s shadow spend', () => {
    const s4: TotalsState = new Map();
    applyCostEvent(s4, event({ cost_usd: 0.0003 }));
    applyCostEvent(s4, event({ model: 'offline-small', cost_usd: 0.0001, shadow: true }));
    applyCostEvent(s4, event({ model: 'offline-small', step: 'classify', cost_usd: 0.00005, shadow: true }));
    const recs = [...s4.values()].map((t) => DailyCost.parse(toDailyCost(t, '2026-11-25T12:00:00.000Z')));
    const small = recs.find((r) => r.model === 'offline-small')!;
    expect(small.shadow).toMatchObject({ calls: 2, cost_pico_usd: usdToPico(0.00015).toString() });
    expect(recs.find((r) => r.model === 'gpt-4o-mini')!.shadow).toBeUndefined();
    // The record round trip keeps it (the aggregator restores from llm.costs.daily).
    expect(toDailyCost(fromDailyCost(small), small.updated_at)).toEqual(small);
    expect(costRows(recs, '2026-11-25', 'purpose').rows.map((r) => [r.name, r.calls, r.pico])).toEqual([['primary', 1, usdToPico(0.0003)], ['shadow', 2, usdToPico(0.00015)]]);
    expect(formatCostTable({ day: '2026-11-25', by: 'model', records: recs, budgetUsd: 0.01, budgetSource: 'DAILY_BUDGET_USD' }))
      .toContain('of which shadow candidates: $0.000150 in 2 calls (1.50 % of the budget; --by purpose shows it apart)');
    expect(daySpend(recs, '2026-11-25', 'host-1')).toEqual({ total: usdToPico(0.00045), instance: usdToPico(0.00045), shadow: usdToPico(0.00015) });
  });

  it('shows a reasoning column on a day with reasoning tokens (inside the output count)', () => {
    const s3: TotalsState = new Map();
    applyCostEvent(s3, event({ model: 'o3', input_tokens: 500, output_tokens: 900, reasoning_tokens: 768, cost_usd: 0.0082 }));
    const table = formatCostTable({ day: '2026-11-25', by: 'model', records: [...s3.values()].map((t) => toDailyCost(t, '2026-11-25T12:00:00.000Z')), budgetUsd: null, budgetSource: '' });
    expect(table).toMatch(/output tok\s+reasoning\s+cost USD/);
    expect(table).toMatch(/o3\s+1\s+500\s+0\s+900\s+768\s+\$0\.008200/);
  });
});
