/**
 * What /metrics says about a processor on the real broker: the latency histograms after a run,
 * and the consumer lag of the partitions the group gave it: 0 once everything is committed,
 * and the documents waiting while intake is paused (a paused consumer fetches nothing, so the
 * lag must come from the assignment, not from what was read).
 */
import { describe, expect, it } from 'vitest';
import { startTestApp } from '../support/app.ts';
import { corpusDocs, toMessage } from '../support/docs.ts';
import { openTestKafka, outputTopics, readTopics, sendMessages, testConfig } from '../support/kafka.ts';
import { sleep } from '../../src/util/sleep.ts';

/** The samples of one metric name in the exposition text: labels → value. */
function samples(text: string, name: string): { labels: string; value: number }[] {
  const out: { labels: string; value: number }[] = [];
  for (const line of text.split('\n')) {
    const m = line.match(/^([a-z_:]+)(\{[^}]*\})? (\S+)$/);
    if (m && m[1] === name) out.push({ labels: m[2] ?? '', value: Number(m[3]) });
  }
  return out;
}
const total = (text: string, name: string, labelFilter = '') =>
  samples(text, name).filter((s) => s.labels.includes(labelFilter)).reduce((n, s) => n + s.value, 0);

describe('processor metrics on a real broker', () => {
  it('histograms after a run; lag 0 when all is committed, and the waiting documents while intake is paused', async () => {
    const config = testConfig({ TOPIC_PARTITIONS: '3', FLUSH_INTERVAL: '200ms' });
    const tk = await openTestKafka(config);
    const app = await startTestApp(config);
    await sendMessages(tk.kafka, config.topics.raw, corpusDocs(30, 'm1').map(toMessage));
    await readTopics(tk.kafka, outputTopics(config), { until: (r) => r.length >= 30, timeoutMs: 90_000 });
    await app.raw.flush();

    let text = await app.metrics.registry.metrics();
    const raw = `topic="${config.topics.raw}"`;
    // Every partition the group gave this processor, each committed to its end.
    const lags = samples(text, 'enricher_consumer_lag').filter((s) => s.labels.includes(raw));
    expect(lags.map((s) => s.labels).sort()).toEqual([0, 1, 2].map((p) => `{${raw},partition="${p}"}`));
    expect(lags.every((s) => s.value === 0)).toBe(true);
    // Three real calls per document (offline provider, no result cache hits on distinct texts), one chain, one output each.
    expect(total(text, 'gen_ai_client_operation_duration_seconds_count', 'outcome="ok"')).toBeGreaterThanOrEqual(90 - total(text, 'enricher_llm_cache_hits_total'));
    expect(total(text, 'gen_ai_client_token_usage_count', 'gen_ai_token_type="input"')).toBe(total(text, 'gen_ai_client_operation_duration_seconds_count', 'outcome="ok"'));
    expect(total(text, 'enricher_pool_wait_seconds_count')).toBe(total(text, 'gen_ai_client_operation_duration_seconds_count'));
    expect(total(text, 'enricher_chain_duration_seconds_count')).toBe(30);
    expect(total(text, 'enricher_end_to_end_latency_seconds_count')).toBe(30);
    expect(total(text, 'enricher_commit_duration_seconds_count', 'outcome="committed"')).toBeGreaterThanOrEqual(1);
    expect(samples(text, 'enricher_oldest_uncommitted_age_seconds')).toEqual([{ labels: '', value: 0 }]);
    // No DAILY_BUDGET_USD: the spend is there, the limit is not.
    expect(samples(text, 'enricher_budget_spend_usd')).toHaveLength(1);
    expect(samples(text, 'enricher_budget_limit_usd')).toHaveLength(0);

    app.intake.pause('service-error', 'test: held');
    await sleep(1_000);
    await sendMessages(tk.kafka, config.topics.raw, corpusDocs(25, 'm2').map(toMessage));
    // The broker's watermarks move at once; nothing is read while paused.
    await sleep(1_500);
    text = await app.metrics.registry.metrics();
    expect(total(text, 'enricher_consumer_lag', raw)).toBe(25);

    app.intake.resume('service-error');
    await readTopics(tk.kafka, outputTopics(config), { until: (r) => r.length >= 55, timeoutMs: 90_000 });
    await app.raw.flush();
    text = await app.metrics.registry.metrics();
    expect(total(text, 'enricher_consumer_lag', raw)).toBe(0);
    expect(total(text, 'enricher_end_to_end_latency_seconds_count')).toBe(55);
  });
});
