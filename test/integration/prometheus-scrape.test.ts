/**
 * A real Prometheus scraping a processor's /metrics every second during a run, and what its
 * HTTP API then says: the lag of documents.raw (0 with nothing sent, exactly the documents
 * waiting while intake is held, 0 once they are done), the pause by reason, and the p99 of LLM
 * calls from the histogram's buckets, which must fall in the bucket of the latency the fake
 * OpenAI server was told to add. The alert rules of deploy/prometheus/ are loaded into it and
 * must evaluate without error on the real series.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startHttpEndpoints } from '../../src/observability/http.ts';
import { DURATION_BUCKETS } from '../../src/observability/metrics.ts';
import { startTestApp } from '../support/app.ts';
import { corpusDocs, toMessage } from '../support/docs.ts';
import { startFakeOpenAiServer } from '../support/fake-openai-server.ts';
import { openTestKafka, outputTopics, readTopics, sendMessages, testConfig } from '../support/kafka.ts';
import { freePort } from '../support/ports.ts';
import { startPrometheus } from '../support/prometheus.ts';

/** Every call takes this long at the fake server: 0.3 s, inside the (0.25, 0.5] bucket. */
const LATENCY_MS = 300;
const DOCS = 20;
const alerts = fileURLToPath(new URL('../../deploy/prometheus/alerts.yml', import.meta.url));

describe('a real Prometheus scraping the processor', () => {
  it('sees the backlog while intake is held, 0 once it drains, and the p99 of LLM calls in the injected latency\'s bucket', async () => {
    const llm = await startFakeOpenAiServer({ latencyMs: LATENCY_MS });
    onTestFinished(() => llm.close());
    const config = testConfig({
      TOPIC_PARTITIONS: '3', LLM_PROVIDER: 'openai', OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: llm.url,
      LLM_CACHE_SIZE: '0', LLM_CALL_RETRIES: '0', FLUSH_INTERVAL: '200ms',
    });
    const tk = await openTestKafka(config);
    const app = await startTestApp(config);
    const port = await freePort();
    const http = await startHttpEndpoints({ port, metrics: app.metrics, readiness: () => app.readiness() });
    onTestFinished(() => new Promise<void>((r) => (http ? http.close(() => r()) : r())));
    const prom = await startPrometheus([`127.0.0.1:${port}`], { ruleFiles: [alerts] });

    const raw = `enricher_consumer_lag{job="enricher",topic="${config.topics.raw}"}`;
    // The scrapes arrive: the target is up, and the three raw partitions the group gave it show no lag.
    expect(await prom.waitFor('up{job="enricher"}', (v) => v === 1)).toBe(1);
    expect(await prom.waitFor(`count(${raw})`, (v) => v === 3, 30_000)).toBe(3);
    expect(await prom.value(`sum(${raw})`)).toBe(0);

    // Held: the documents wait in Kafka, and the lag Prometheus stores is exactly them.
    app.intake.pause('service-error', 'test: held');
    await sendMessages(tk.kafka, config.topics.raw, corpusDocs(DOCS, 'ps').map(toMessage));
    expect(await prom.waitFor(`sum(${raw})`, (v) => v === DOCS)).toBe(DOCS);
    expect(await prom.value('enricher_paused{reason="service-error"}')).toBe(1);
    // Nothing called yet: no LLM call series at all.
    expect(await prom.value('sum(gen_ai_client_operation_duration_seconds_count)')).toBeUndefined();

    app.intake.resume('service-error');
    const out = await readTopics(tk.kafka, outputTopics(config), { until: (r) => r.length >= DOCS, timeoutMs: 60_000 });
    expect(out).toHaveLength(DOCS);
    expect(await prom.waitFor(`sum(${raw})`, (v) => v === 0)).toBe(0);
    expect(await prom.value('enricher_paused{reason="service-error"}')).toBe(0);
    // Three calls a document (no result cache), all seen by a scrape after the last one.
    const calls = await prom.waitFor('sum(gen_ai_client_operation_duration_seconds_count{outcome="ok"})', (v) => v === 3 * DOCS);
    expect(calls).toBe(3 * DOCS);

    // The p99 from the buckets, as a dashboard asks for it: inside the bucket that holds 0.3 s.
    const upper = DURATION_BUCKETS.find((b) => b >= LATENCY_MS / 1000)!;
    const lower = DURATION_BUCKETS[DURATION_BUCKETS.indexOf(upper) - 1]!;
    expect([lower, upper]).toEqual([0.25, 0.5]);
    const p99 = await prom.value('histogram_quantile(0.99, sum by (le) (rate(gen_ai_client_operation_duration_seconds_bucket[1m])))');
    expect(p99).toBeGreaterThan(lower);
    expect(p99).toBeLessThanOrEqual(upper);
    // And by step, as the dashboard's panel draws it: each of the three steps in the same bucket.
    for (const step of ['extract', 'summarize', 'classify']) {
      const p = await prom.value(`histogram_quantile(0.99, sum by (le, step) (rate(gen_ai_client_operation_duration_seconds_bucket{step="${step}"}[1m])))`);
      expect(p, step).toBeGreaterThan(lower);
      expect(p, step).toBeLessThanOrEqual(upper);
    }

    // The alert rules evaluate on the real series without error (none can fire: their `for` is minutes).
    const rules = await prom.rules();
    expect(rules.map((r) => r.name).sort()).toEqual([
      'EnricherBudgetExhausted', 'EnricherBudgetNearlySpent', 'EnricherConsumerLagGrowing', 'EnricherDlqShareHigh',
      'EnricherIntakePausedForOutage', 'EnricherRedisUnavailable', 'EnricherStalled',
    ]);
    expect(rules.filter((r) => r.health !== 'ok')).toEqual([]);
  });
});
