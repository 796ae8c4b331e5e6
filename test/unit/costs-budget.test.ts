/** Budget thresholds and the processor's guard, without Kafka: spend in, decisions out. */
import { describe, expect, it } from 'vitest';
import type { CostEvent } from '../../src/contracts/index.ts';
import { createIntakeControl } from '../../src/guards/intake-control.ts';
import { alertKey, dueAlerts, estimateSpend, msUntilNextUtcDay, reachedLevels } from '../../src/costs/budget/budget-levels.ts';
import { createBudgetGuard } from '../../src/costs/budget/budget-guard.ts';
import { usdToPico } from '../../src/costs/money.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { createRuntimeSettings } from '../../src/settings/runtime-settings.ts';
import { parseSettingInput, decodeSettingRecord } from '../../src/settings/setting-values.ts';

const usd = usdToPico;

describe('budget levels', () => {
  it('reaches 80 % and 100 % exactly at the threshold, never without a budget', () => {
    expect(reachedLevels(usd(7.99), 10)).toEqual([]);
    expect(reachedLevels(usd(8), 10)).toEqual(['warning']);
    expect(reachedLevels(usd(9.999999999999), 10)).toEqual(['warning']);
    expect(reachedLevels(usd(10), 10)).toEqual(['warning', 'exceeded']);
    expect(reachedLevels(usd(1000), undefined)).toEqual([]);
    // 0.1 + 0.2 of a 0.3 budget: integer arithmetic, no float surprise.
    expect(reachedLevels(usd(0.1) + usd(0.2), 0.3)).toEqual(['warning', 'exceeded']);
  });

  it('raises each level once per day', () => {
    const sent = new Set<string>();
    const at = new Date('2026-11-25T10:00:00Z');
    const first = dueAlerts({ day: '2026-11-25', spend: usd(0.85), budgetUsd: 1, alreadySent: sent, at, source: 's' });
    expect(first.map((a) => [a.level, a.threshold_pct, a.spend_pct])).toEqual([['warning', 80, 85]]);
    for (const a of first) sent.add(alertKey(a.day, a.level));
    expect(dueAlerts({ day: '2026-11-25', spend: usd(0.9), budgetUsd: 1, alreadySent: sent, at, source: 's' })).toEqual([]);
    const both = dueAlerts({ day: '2026-11-25', spend: usd(1.2), budgetUsd: 1, alreadySent: sent, at, source: 's' });
    expect(both.map((a) => a.level)).toEqual(['exceeded']);
    expect(both[0]).toMatchObject({ budget_usd: 1, spend_usd: 1.2, spend_pct: 120, day: '2026-11-25', raised_at: at.toISOString() });
    expect(dueAlerts({ day: '2026-11-26', spend: usd(1.2), budgetUsd: 1, alreadySent: sent, at, source: 's' }).map((a) => a.level)).toEqual(['warning', 'exceeded']);
  });

  it('estimates a processor’s view of the spend without under-counting its own calls', () => {
    // Aggregated: 5 by others, 2 of ours; we know we spent 3 (1 not aggregated yet).
    expect(estimateSpend({ aggregateTotal: usd(7), aggregateOwn: usd(2), ownBaseline: 0n, ownSinceStart: usd(3) })).toBe(usd(8));
    // The aggregate already has all of ours (and more, from an earlier process with our id).
    expect(estimateSpend({ aggregateTotal: usd(7), aggregateOwn: usd(4), ownBaseline: usd(1), ownSinceStart: usd(3) })).toBe(usd(7));
    expect(estimateSpend({ aggregateTotal: usd(7), aggregateOwn: usd(4), ownBaseline: usd(1), ownSinceStart: usd(5) })).toBe(usd(9));
    expect(estimateSpend({ aggregateTotal: 0n, aggregateOwn: 0n, ownBaseline: 0n, ownSinceStart: usd(1) })).toBe(usd(1));
  });

  it('knows when the next UTC day starts', () => {
    expect(msUntilNextUtcDay(new Date('2026-11-25T23:59:59.000Z'))).toBe(1000);
    expect(msUntilNextUtcDay(new Date('2026-12-31T00:00:00.000Z'))).toBe(86_400_000);
  });
});

function costEvent(costUsd: number, at: string): CostEvent {
  return {
    call_id: `c-${Math.random()}`, document_id: 'd', step: 'extract', model: 'gpt-4', provider: 'openai', input_tokens: 1, output_tokens: 1,
    cost_usd: costUsd, price_source: 'table', attempt: 1, ok: true, instance_id: 'me', timestamp: at,
  };
}

describe('budget guard', () => {
  function setup(budget: number | undefined, aggregate = { total: 0n, instance: 0n }) {
    let now = new Date('2026-11-25T12:00:00.000Z');
    const settings = createRuntimeSettings({ qualityThreshold: 0.8, dailyBudgetUsd: budget });
    const intake = createIntakeControl();
    const agg = { ...aggregate };
    const guard = createBudgetGuard({
      settings, intake, instanceId: 'me', logger: silentLogger(), now: () => now,
      spendSource: { spend: (day) => (day === '2026-11-25' ? agg : { total: 0n, instance: 0n }) },
    });
    guard.start();
    return { guard, intake, settings, agg, setNow: (d: string) => (now = new Date(d)) };
  }
  const settled = async (p: Promise<void>) => Promise.race([p.then(() => 'released'), new Promise((r) => setTimeout(() => r('held'), 30))]);

  it('lets calls through below the budget and holds them from the moment it is reached', async () => {
    const { guard, intake } = setup(0.1);
    expect(await settled(guard.beforeCall({ documentId: 'd1', attempt: 1 }))).toBe('released');
    guard.recordOwn(costEvent(0.06, '2026-11-25T11:00:00.000Z'));
    expect(intake.isPaused()).toBe(false);
    guard.recordOwn(costEvent(0.04, '2026-11-25T11:00:01.000Z'));
    expect(intake.reasons()).toEqual(['budget']);
    expect(guard.status()).toMatchObject({ exceeded: true, spendUsd: 0.1, budgetUsd: 0.1 });
    expect(await settled(guard.beforeCall({ documentId: 'd2', attempt: 1 }))).toBe('held');
    expect(guard.status().heldCalls).toBe(1);
  });

  it('holds calls already waiting for a pool slot', async () => {
    const { guard } = setup(0.1);
    let ran = 0;
    const limiter = guard.gateLimiter({
      scope: 'local', weighted: false, schedule: (_w, fn) => fn(), hold: () => undefined, running: async () => 0, stop: async () => undefined,
    });
    guard.recordOwn(costEvent(0.2, '2026-11-25T11:00:00.000Z'));
    const call = limiter.schedule(1, async () => ++ran);
    expect(await settled(call.then(() => undefined))).toBe('held');
    expect(ran).toBe(0);
  });

  it('resumes when the budget is raised or removed', async () => {
    const { guard, intake, settings } = setup(0.1);
    guard.recordOwn(costEvent(0.15, '2026-11-25T11:00:00.000Z'));
    const held = guard.beforeCall({ documentId: 'd', attempt: 1 });
    expect(await settled(held)).toBe('held');
    settings.set('daily_budget_usd', 0.12);
    expect(await settled(held)).toBe('held');
    settings.set('daily_budget_usd', 1);
    expect(await settled(held)).toBe('released');
    expect(intake.isPaused()).toBe(false);
    settings.set('daily_budget_usd', 0.05);
    expect(intake.isPaused()).toBe(true);
    settings.set('daily_budget_usd', undefined);
    expect(intake.isPaused()).toBe(false);
  });

  it('counts the aggregate of other instances, and resumes on a new UTC day', async () => {
    const { guard, intake, agg, setNow } = setup(1, { total: usd(0.5), instance: 0n });
    guard.recordOwn(costEvent(0.3, '2026-11-25T11:00:00.000Z'));
    expect(intake.isPaused()).toBe(false);
    agg.total = usd(0.7); // another instance spent 0.2 more
    guard.evaluate();
    expect(intake.isPaused()).toBe(true);
    const held = guard.beforeCall({ documentId: 'd', attempt: 1 });
    setNow('2026-11-26T00:00:00.100Z');
    guard.evaluate();
    expect(await settled(held)).toBe('released');
    expect(guard.status()).toMatchObject({ day: '2026-11-26', spendUsd: 0, exceeded: false });
  });

  it('does not count this instance twice once the aggregate has its calls', () => {
    const { guard, intake, agg } = setup(1);
    guard.recordOwn(costEvent(0.6, '2026-11-25T11:00:00.000Z'));
    agg.total = usd(0.6);
    agg.instance = usd(0.6);
    guard.evaluate();
    expect(guard.status().spendUsd).toBe(0.6);
    expect(intake.isPaused()).toBe(false);
  });
});

describe('runtime setting values', () => {
  it('accepts valid values and rejects bad ones with a clear message', () => {
    expect(parseSettingInput('daily_budget_usd', '50')).toEqual({ name: 'daily_budget_usd', value: 50 });
    expect(parseSettingInput('daily_budget_usd', '12.5')).toEqual({ name: 'daily_budget_usd', value: 12.5 });
    expect(parseSettingInput('daily_budget_usd', 'none')).toEqual({ name: 'daily_budget_usd', value: null });
    expect(parseSettingInput('quality_threshold', '0.7')).toEqual({ name: 'quality_threshold', value: 0.7 });
    expect(parseSettingInput('quality_threshold', '1')).toEqual({ name: 'quality_threshold', value: 1 });
    expect(() => parseSettingInput('quality_threshold', '1.2')).toThrow(/quality_threshold must be a number from 0 to 1.*got "1.2"/);
    expect(() => parseSettingInput('quality_threshold', 'none')).toThrow(/quality_threshold must be/);
    expect(() => parseSettingInput('daily_budget_usd', '-5')).toThrow(/daily_budget_usd must be a positive number/);
    expect(() => parseSettingInput('daily_budget_usd', '0')).toThrow(/positive/);
    expect(() => parseSettingInput('daily_budget_usd', '0x10')).toThrow(/positive/);
    expect(() => parseSettingInput('daily_budget_usd', '')).toThrow(/positive/);
    expect(() => parseSettingInput('budget', '5')).toThrow(/unknown setting "budget".*quality_threshold, daily_budget_usd/);
  });

  it('reads the record envelope and bare JSON, and rejects what does not fit', () => {
    const rec = (v: unknown) => Buffer.from(JSON.stringify(v));
    expect(decodeSettingRecord('quality_threshold', rec({ name: 'quality_threshold', value: 0.6, updated_at: '2026-11-25T10:00:00.000Z' }))).toEqual({ name: 'quality_threshold', value: 0.6 });
    expect(decodeSettingRecord('daily_budget_usd', rec(25))).toEqual({ name: 'daily_budget_usd', value: 25 });
    expect(decodeSettingRecord('daily_budget_usd', rec(null))).toEqual({ name: 'daily_budget_usd', value: null });
    expect(() => decodeSettingRecord('quality_threshold', rec(null))).toThrow(/quality_threshold must be/);
    expect(() => decodeSettingRecord('quality_threshold', rec(3))).toThrow(/quality_threshold must be/);
    expect(() => decodeSettingRecord('quality_threshold', Buffer.from('{oops'))).toThrow(/not JSON/);
    expect(() => decodeSettingRecord('daily_budget_usd', rec({ name: 'quality_threshold', value: 0.5, updated_at: '2026-11-25T10:00:00.000Z' }))).toThrow(/another setting/);
    expect(() => decodeSettingRecord('colour', rec(1))).toThrow(/unknown setting/);
  });
});
