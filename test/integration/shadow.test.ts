/**
 * A shadow candidate on live traffic, on the real broker with the offline provider and its second
 * model (offline-small): the enriched and review topics are the same with and without it, field
 * for field apart from timestamps; documents.shadow holds exactly the documents the hash picks,
 * and a replay picks them again; its share of the daily budget stops it while the primary goes on.
 */
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import { ShadowComparison, type CostEvent, type DailyCost } from '../../src/contracts/index.ts';
import { costsReport } from '../../src/cli/costs.ts';
import { utcDay } from '../../src/costs/daily-totals.ts';
import { startTestAggregator } from '../support/aggregator.ts';
import { testLogger } from '../support/logger.ts';
import { usdToPico, picoToUsd } from '../../src/costs/money.ts';
import { shadowPicks } from '../../src/pipeline/shadow/shadow-sample.ts';
import { startTestApp } from '../support/app.ts';
import { corpusDocs, toMessage } from '../support/docs.ts';
import { connectTestKafka, jsonValue, readTopics, sendMessages, testConfig, type ReadRecord, type TestKafka } from '../support/kafka.ts';
import { waitUntil } from '../support/time.ts';

const DOCS = corpusDocs(24, 'sh');

async function outputsOf(tk: TestKafka, config: Config, count: number): Promise<ReadRecord[]> {
  return readTopics(tk.kafka, [config.topics.enriched, config.topics.review, config.topics.dlq], { until: (r) => r.length >= count, timeoutMs: 60_000 });
}

/** A value with its timestamps (`…_at` fields) left out, as sorted JSON. */
function withoutTimestamps(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutTimestamps);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).filter(([k]) => !k.endsWith('_at')).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, withoutTimestamps(x)]));
}

const byKey = (records: ReadRecord[]) => new Map(records.map((r) => [`${r.topic.split('.').pop()}|${r.key}`, { value: withoutTimestamps(jsonValue(r)), headers: Object.keys(r.headers).sort() }]));

describe('a shadow candidate', () => {
  it('changes no output (enriched and review the same, field for field, apart from timestamps), writes exactly the sampled documents, and a replay picks the same', async () => {
    const SAMPLE = 0.4;
    const plain = testConfig({ LLM_POOL_SLOTS: '4' });
    const shadowed = testConfig({ LLM_POOL_SLOTS: '4', SHADOW_MODEL: 'offline-small', SHADOW_SAMPLE: String(SAMPLE) });
    const tkA = await connectTestKafka(plain);
    await tkA.createTopics(plain);
    const tkB = await connectTestKafka(shadowed);
    await tkB.createTopics(shadowed);

    await sendMessages(tkA.kafka, plain.topics.raw, DOCS.map(toMessage));
    await sendMessages(tkB.kafka, shadowed.topics.raw, DOCS.map(toMessage));
    const primaryEvents: CostEvent[] = [];
    const shadowEvents: CostEvent[] = [];
    await startTestApp(plain);
    const appB = await startTestApp(shadowed, { onCostEvent: (e) => (e.shadow ? shadowEvents : primaryEvents).push(e) });
    const a = await outputsOf(tkA, plain, DOCS.length);
    const b = await outputsOf(tkB, shadowed, DOCS.length);

    expect(a).toHaveLength(DOCS.length);
    expect(b).toHaveLength(DOCS.length);
    const left = byKey(a);
    const right = byKey(b);
    expect([...right.keys()].sort()).toEqual([...left.keys()].sort());
    for (const [k, v] of left) expect(right.get(k), k).toEqual(v);
    const routes = new Set(a.map((r) => r.topic.split('.').pop()));
    console.log(`[shadow] ${DOCS.length} documents, the same outputs with and without the shadow (${[...routes].join(', ')})`);

    const picked = DOCS.filter((d) => shadowPicks(d.id, SAMPLE)).map((d) => d.id).sort();
    expect(picked.length).toBeGreaterThan(0);
    expect(picked.length).toBeLessThan(DOCS.length);
    await readTopics(tkB.kafka, [shadowed.topics.shadow], { until: (r) => r.length >= picked.length, timeoutMs: 30_000 });
    await waitUntil(() => appB.shadow!.stats().written + appB.shadow!.stats().failed >= picked.length, 10_000, 'the shadow to finish');
    const more = await readTopics(tkB.kafka, [shadowed.topics.shadow], { quietMs: 800 });
    expect(more.map((r) => r.key).sort()).toEqual(picked.map((id) => `${id}/offline-small`));
    const comparisons = more.map((r) => ShadowComparison.parse(jsonValue(r)));
    for (const c of comparisons) {
      expect(c.shadow, c.document_id).not.toBeNull();
      expect(c.shadow!.models).toEqual(['offline-small']);
      expect(c.primary.models).toEqual(['gpt-4o-mini']);
      expect(c.shadow!.cost_usd).toBeLessThan(c.primary.cost_usd);
      // The primary side is what was published or reviewed.
      const out = b.find((r) => r.key === c.document_id)!;
      expect(c.primary.route).toBe(out.topic === shadowed.topics.enriched ? 'enriched' : 'review');
      expect(c.primary.category).toBe((jsonValue(out) as { classification: { category: string } }).classification.category);
    }
    // Every shadow call was a cost event marked shadow, for a sampled document only.
    expect(new Set(shadowEvents.map((e) => e.document_id))).toEqual(new Set(picked));
    expect(shadowEvents.every((e) => e.model === 'offline-small')).toBe(true);
    expect(primaryEvents.some((e) => e.shadow)).toBe(false);
    const agree = comparisons.filter((c) => c.metrics!.category_agrees).length;
    const mean = (f: (c: ShadowComparison) => number) => (comparisons.reduce((n, c) => n + f(c), 0) / comparisons.length).toFixed(3);
    const cost = (xs: CostEvent[]) => xs.reduce((n, e) => n + e.cost_usd, 0);
    console.log(
      `[shadow] sample ${SAMPLE}: ${comparisons.length} of ${DOCS.length} documents shadowed; categories agree on ${agree}, other route ${comparisons.filter((c) => c.metrics!.route_differs).length}; ` +
        `mean entity F1 ${mean((c) => c.metrics!.entities_f1)}, summary token F1 ${mean((c) => c.metrics!.summary_token_f1)}; shadow $${cost(shadowEvents).toFixed(6)} vs primary $${cost(primaryEvents).toFixed(6)}`,
    );

    // A replay (the group reset to the start, the processor started again) picks the same documents.
    await appB.stop();
    await tkB.admin.resetOffsets({ groupId: shadowed.kafka.groupId, topic: shadowed.topics.raw, earliest: true });
    await startTestApp(shadowed);
    const twice = await readTopics(tkB.kafka, [shadowed.topics.shadow], { until: (r) => r.length >= 2 * picked.length, timeoutMs: 60_000 });
    const again = await readTopics(tkB.kafka, [shadowed.topics.shadow], { minCount: twice.length, quietMs: 1000 });
    expect(again.map((r) => r.key).sort()).toEqual(picked.flatMap((id) => [`${id}/offline-small`, `${id}/offline-small`]));
  }, 180_000);

  it('stops at its share of the daily budget while the primary goes on', async () => {
    const BUDGET = 1;
    const SHARE = 0.0006;
    const config = testConfig({ LLM_POOL_SLOTS: '2', SHADOW_MODEL: 'offline-small', SHADOW_SAMPLE: '1', DAILY_BUDGET_USD: String(BUDGET), SHADOW_BUDGET_SHARE: String(SHARE) });
    const tk = await connectTestKafka(config);
    await tk.createTopics(config);
    await sendMessages(tk.kafka, config.topics.raw, DOCS.map(toMessage));
    const shadowEvents: CostEvent[] = [];
    const app = await startTestApp(config, { onShadowCostEvent: (e) => shadowEvents.push(e) });
    const outputs = await outputsOf(tk, config, DOCS.length);
    expect(outputs).toHaveLength(DOCS.length);
    await waitUntil(() => {
      const s = app.shadow!.stats();
      return s.written + s.failed + s.skipped.budget + s.skipped.backlog >= DOCS.length;
    }, 20_000, 'every document shadowed or skipped');
    const stats = app.shadow!.stats();
    const records = await readTopics(tk.kafka, [config.topics.shadow], { minCount: stats.written, quietMs: 800 });

    const cap = usdToPico(BUDGET * SHARE);
    const spent = shadowEvents.reduce((n, e) => n + usdToPico(e.cost_usd), 0n);
    const maxCall = shadowEvents.reduce((m, e) => (usdToPico(e.cost_usd) > m ? usdToPico(e.cost_usd) : m), 0n);
    console.log(`[shadow] budget share $${picoToUsd(cap).toFixed(6)}: ${records.length} documents shadowed in ${shadowEvents.length} calls ($${picoToUsd(spent).toFixed(6)}), ${stats.skipped.budget} skipped; the primary finished all ${outputs.length}`);
    expect(records.length).toBeGreaterThan(0);
    expect(records.length).toBe(stats.written);
    expect(stats.skipped.budget).toBeGreaterThan(0);
    expect(records.length + stats.skipped.budget).toBe(DOCS.length);
    expect(spent).toBeGreaterThanOrEqual(cap);
    // Checked before every call: past the share, at most one call per shadow document in flight (1 with 2 slots).
    expect(spent - cap).toBeLessThanOrEqual(maxCall);
    expect(app.budget.guard.status().exceeded).toBe(false);
    expect(app.intake.isPaused()).toBe(false);
  }, 120_000);

  it('is counted apart by the aggregator: llm.costs.daily\'s shadow part is the shadow\'s cost events to the pico-dollar, and `enricher costs --by purpose` splits the day', async () => {
    const config = testConfig({ SHADOW_MODEL: 'offline-small', SHADOW_SAMPLE: '1', COST_FLUSH_INTERVAL: '200ms' });
    const tk = await connectTestKafka(config);
    await tk.createTopics(config);
    const docs = DOCS.slice(0, 10);
    await sendMessages(tk.kafka, config.topics.raw, docs.map(toMessage));
    const events: CostEvent[] = [];
    const aggregator = await startTestAggregator(config, tk.kafka);
    const app = await startTestApp(config, { onCostEvent: (e) => events.push(e) });
    await outputsOf(tk, config, docs.length);
    await app.shadow!.drained(20_000);
    await waitUntil(() => aggregator.stats().events >= events.length, 20_000, 'the aggregator to count every event');
    await aggregator.flush();
    const pico = (xs: CostEvent[]) => xs.reduce((n, e) => n + usdToPico(e.cost_usd), 0n);
    const shadowEvents = events.filter((e) => e.shadow);
    expect(shadowEvents.length).toBe(docs.length * 3);
    const daily = (await readTopics(tk.kafka, [config.topics.costsDaily], { quietMs: 800 })).map((r) => jsonValue<DailyCost>(r));
    const latest = new Map(daily.map((d) => [`${d.day}|${d.model}`, d]));
    const shadowPart = [...latest.values()].reduce((n, d) => n + BigInt(d.shadow?.cost_pico_usd ?? '0'), 0n);
    expect(shadowPart).toBe(pico(shadowEvents));
    // The processor's live view of llm.costs.daily sees the same: the figure the shadow's budget share reads.
    await waitUntil(() => app.budget.shadowSpend(utcDay(new Date())) === pico(shadowEvents), 10_000, 'the processor\'s view of the shadow spend');
    const report = await costsReport(config, testLogger(), { by: 'purpose' }, tk.kafka);
    console.log(`[shadow] enricher costs --by purpose:\n${report}`);
    expect(report).toMatch(new RegExp(`primary\\s+${events.length - shadowEvents.length}\\s`));
    expect(report).toMatch(new RegExp(`shadow\\s+${shadowEvents.length}\\s`));
  }, 120_000);
});

