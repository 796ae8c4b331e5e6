/** Redrive from the DLQ, and the outage guard, on the real broker through the real SDK. */
import { afterEach, describe, expect, it } from 'vitest';
import { Headers } from '../../src/contracts/index.ts';
import { redrive } from '../../src/operations/redrive.ts';
import { doc, startHarness, type Harness } from '../support/harness.ts';
import { jsonValue, outputTopics, readTopics } from '../support/kafka.ts';
import { redriveMarkerTopic, retryTopics } from '../../src/kafka/topics.ts';
import { testLogger } from '../support/logger.ts';
import { sleep, waitUntil } from '../support/time.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('redrive', () => {
  it('returns DLQ messages to processing once each, filters by code, and refuses the too-often redriven', async () => {
    h = await startHarness({ TOPIC_PARTITIONS: '1', MAX_REDRIVES: '2' });
    // 400 once: the first attempt dead-letters; after a redrive the API answers.
    for (const id of ['r-1', 'r-2', 'r-tired']) h.server.addFault({ match: { documentId: id, step: 'summarize' }, times: 1, action: { status: 400 } });
    await h.produce([
      doc('r-1'),
      doc('r-2'),
      { key: 'r-tired', value: Buffer.from(JSON.stringify(doc('r-tired'))), headers: { [Headers.redriveCount]: '2' } },
      { key: 'r-junk', value: Buffer.from('{not json') },
    ]);
    const firstPass = await readTopics(h.tk.kafka, [h.config.topics.dlq], { until: (r) => r.length >= 4, timeoutMs: 30_000 });
    expect(firstPass.map((r) => r.key).sort()).toEqual(['r-1', 'r-2', 'r-junk', 'r-tired']);

    const deps = { kafka: h.tk.kafka, dlqTopic: h.config.topics.dlq, markerTopic: redriveMarkerTopic(h.config), rawTopic: h.config.topics.raw, transactionalId: `${h.config.kafka.groupId}.redrive`, logger: testLogger() };
    const report = await redrive(deps, { code: 'LLM_BAD_REQUEST', maxRedrives: 2 });
    expect(report.scanned).toBe(4);
    expect(report.redriven).toBe(2);
    expect(report.skippedByCode).toBe(1);
    expect(report.refused.map((r) => r.key)).toEqual(['r-tired']);

    const done = await readTopics(h.tk.kafka, [h.config.topics.enriched], { until: (r) => r.length >= 2, timeoutMs: 30_000 });
    expect(done.map((r) => r.key).sort()).toEqual(['r-1', 'r-2']);
    for (const r of done) expect(r.headers[Headers.redriveCount]).toBe('1');

    // A second run finds nothing new to redrive: each DLQ record goes back at most once.
    const again = await redrive(deps, { code: 'LLM_BAD_REQUEST', maxRedrives: 2 });
    expect(again.redriven).toBe(0);
    expect(again.alreadyRedriven).toBe(2);
    const settled = await readTopics(h.tk.kafka, outputTopics(h.config), { quietMs: 1000 });
    expect(settled.filter((r) => r.key === 'r-1')).toHaveLength(2); // its DLQ record + its enrichment
  });
});

describe('outage guard', () => {
  it('pauses new documents when most calls fail, resumes when the API recovers, and loses nothing', async () => {
    h = await startHarness({ TOPIC_PARTITIONS: '1', OUTAGE_WINDOW: '4', OUTAGE_FAILURE_RATIO: '0.5', MAX_IN_FLIGHT: '2', LLM_CALL_RETRIES: '0' }, { failureRate: 1, failureStatus: 503 });
    const docs = Array.from({ length: 30 }, (_, i) => doc(`o-${i}`));
    await h.produce(docs);
    await waitUntil(() => h!.app.intake.reasons().includes('outage'), 20_000, 'the outage pause');
    expect(h.app.intake.reasons()).toContain('outage');
    await sleep(1000);
    // Paused, not flooding: only the documents that were in flight when it tripped were retried.
    expect(h.app.raw.stats().routes.retry).toBeLessThan(10);

    h.server.configure({ failureRate: 0 });
    const out = await readTopics(h.tk.kafka, outputTopics(h.config), { until: (r) => r.length >= 30, timeoutMs: 60_000 });
    const settled = await readTopics(h.tk.kafka, outputTopics(h.config), { minCount: out.length, quietMs: 1000 });
    expect(settled.map((r) => r.key).sort()).toEqual(docs.map((d) => d.id).sort());
    expect(settled.every((r) => r.topic === h!.config.topics.enriched)).toBe(true);
  });

  it('an outage longer than every retry tier dead-letters nothing: attempts made during it do not count', async () => {
    // Tiers of 1+2+4 s against an outage of 25 s: without the guard's hold on retries, every
    // document that failed before the trip would run out of attempts inside the outage.
    h = await startHarness(
      { TOPIC_PARTITIONS: '2', OUTAGE_WINDOW: '10', OUTAGE_FAILURE_RATIO: '0.5', MAX_IN_FLIGHT: '8', LLM_CALL_RETRIES: '0', RETRY_DELAYS: '1s,2s,4s' },
      { failureRate: 1, failureStatus: 503 },
    );
    const docs = Array.from({ length: 120 }, (_, i) => doc(`long-outage-${i}`));
    await h.produce(docs);
    await waitUntil(() => h!.app.intake.reasons().includes('outage'), 20_000, 'the outage pause');
    await sleep(25_000);
    h.server.configure({ failureRate: 0 });
    const want = new Set(docs.map((d) => d.id));
    await readTopics(h.tk.kafka, outputTopics(h.config), { until: (r) => new Set(r.map((x) => x.key)).size >= want.size, timeoutMs: 120_000 });
    const settled = await readTopics(h.tk.kafka, outputTopics(h.config), { minCount: docs.length, quietMs: 1500 });
    const dlq = settled.filter((r) => r.topic === h!.config.topics.dlq);
    expect(dlq.map((r) => r.key)).toEqual([]);
    expect(settled.map((r) => r.key).sort()).toEqual([...want].sort());
    // Documents really went round the tiers during the outage without spending attempts.
    const retries = await readTopics(h.tk.kafka, retryTopics(h.config).map((r) => r.topic), { quietMs: 1000 });
    const deferred = retries.map((r) => jsonValue<{ attempt: number; outage_deferrals?: number }>(r)).filter((e) => (e.outage_deferrals ?? 0) > 0);
    expect(deferred.length).toBeGreaterThan(0);
    expect(Math.max(...retries.map((r) => jsonValue<{ attempt: number }>(r).attempt))).toBeLessThanOrEqual(4);
    console.log(`[long-outage] ${docs.length} documents, ${retries.length} retry records, ${deferred.length} put back during the outage (most deferrals of one: ${Math.max(...deferred.map((e) => e.outage_deferrals!))}), ${h.server.stats().totalRequests} calls`);
  }, 180_000);
});
