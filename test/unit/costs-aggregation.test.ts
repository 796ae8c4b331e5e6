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
    expect(daySpend([d, toDailyCost(state.get('2026-11-25|gpt-4')!, d.updated_at)], '2026-11-25', 'host-2')).toEqual({ total: usdToPico(0.055), instance: usdToPico(0.002) });
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
    expect(table).toMatch(/gpt-4\s+1\s+100\s+20\s+\$0\.500000\s+25\.00 %/);
    expect(table).toMatch(/total\s+3\s+3100\s+50\s+\$0\.530000\s+26\.50 %/);
    expect(formatCostTable({ day: '2026-11-23', by: 'model', records, budgetUsd: null, budgetSource: '' })).toContain('no calls recorded');
    expect(formatCostTable({ day: '2026-11-25', by: 'step', records, budgetUsd: null, budgetSource: '' })).toMatch(/no daily budget set[\s\S]*extract/);
  });
});
