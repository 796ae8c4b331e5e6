/**
 * The DLQ storm guard against a provider that answers 400 to everything: intake stops once more
 * than DLQ_STORM_SHARE of the last DLQ_STORM_WINDOW documents were dead-lettered, the documents
 * in flight are held instead of dead-lettered, an alert lands on pipeline.alerts, and the
 * operator's `enricher resume` (the real CLI) lets the held and waiting documents through once
 * the provider is fixed. The topic is not drained into the DLQ.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PipelineAlert } from '../../src/contracts/index.ts';
import { doc, startHarness, type Harness } from '../support/harness.ts';
import { jsonValue, readTopics } from '../support/kafka.ts';
import { spawnCli } from '../support/processes.ts';
import { sleep } from '../support/time.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const DOCS = 60;

describe('DLQ storm guard', () => {
  it('stops intake after the configured share instead of dead-lettering the topic, alerts, and resumes on `enricher resume`', async () => {
    h = await startHarness(
      { TOPIC_PARTITIONS: '2', DLQ_STORM_WINDOW: '20', DLQ_STORM_SHARE: '0.5', DLQ_STORM_COOLDOWN: '10m', LOG_LEVEL: 'silent' },
      { failureRate: 1, failureStatus: 400 },
    );
    const docs = Array.from({ length: DOCS }, (_, i) => doc(`storm-${i}`));
    await h.produce(docs);
    const deadline = Date.now() + 30_000;
    while (!h.app.intake.reasons().includes('dlq-storm')) {
      if (Date.now() > deadline) throw new Error('the storm guard never tripped');
      await sleep(50);
    }
    const t = h.config.topics;
    // 11 dead letters and 1 alert, then quiet: whatever was in flight has met the guard by then.
    const first = await readTopics(h.tk.kafka, [t.dlq, t.alerts], { minCount: 12, quietMs: 2_000, timeoutMs: 30_000 });
    const dlq = first.filter((r) => r.topic === t.dlq);
    // More than 0.5 × 20: the 11th non-input dead letter trips it; every later one is held.
    expect(dlq).toHaveLength(11);
    expect(dlq.every((r) => r.headers['x-error-code'] === 'LLM_BAD_REQUEST')).toBe(true);
    const alerts = first.filter((r) => r.topic === t.alerts).map((r) => jsonValue<PipelineAlert>(r));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'dlq-storm', dead_lettered: 11, window: 20, share: 0.5, codes: { LLM_BAD_REQUEST: 11 } });
    expect((await h.app.metrics.dlqStorms.get()).values[0]?.value).toBe(1);
    expect(h.app.readiness().why.some((w) => w.startsWith('dlq-storm since'))).toBe(true);

    // The operator finds the fault, fixes it, and resumes every processor with one command.
    h.server.configure({ failureRate: 0 });
    const cli = spawnCli(['resume', '--message', 'provider fixed'], { KAFKA_BROKERS: h.config.kafka.brokers.join(','), TOPIC_ALERTS: t.alerts, LOG_LEVEL: 'warn' }, 'storm-resume');
    expect((await cli.exited).code).toBe(0);
    // Every document once, then a quiet spell in which a duplicate would show.
    const settled = await readTopics(h.tk.kafka, [t.enriched, t.review, t.dlq], { minCount: DOCS, quietMs: 1_500, timeoutMs: 60_000 });
    const keys = settled.map((r) => r.key);
    console.log(`[dlq-storm] dlq ${dlq.length} before the trip; after resume: ${settled.length} outputs, dlq ${settled.filter((r) => r.topic === t.dlq).length}`);
    expect(new Set(keys).size).toBe(DOCS);
    expect(keys).toHaveLength(DOCS); // each once
    expect(settled.filter((r) => r.topic === t.dlq)).toHaveLength(11); // nothing more dead-lettered
    expect(h.app.intake.isPaused()).toBe(false);
  }, 120_000);
});
