/**
 * 202 bad messages mixed among valid documents on the real broker: every bad one lands in the
 * DLQ with its original bytes and a reason, the consumer never crashes, and every valid
 * document completes.
 */
import { describe, expect, it } from 'vitest';
import { Headers } from '../../src/contracts/index.ts';
import { startTestApp } from '../support/app.ts';
import { badInputCorpus } from '../support/bad-inputs.ts';
import { corpusDocs, toMessage } from '../support/docs.ts';
import { openTestKafka, outputTopics, readTopics, sendMessages, testConfig } from '../support/kafka.ts';

describe('bad input corpus', () => {
  it('dead-letters every bad case with a reason and completes every valid document around them', async () => {
    const config = testConfig({ TOPIC_PARTITIONS: '2' });
    const tk = await openTestKafka(config);
    const bad = badInputCorpus();
    expect(bad.length).toBeGreaterThanOrEqual(200);
    const good = corpusDocs(60, 'good');
    // Interleave: a valid document after every few bad ones, spread over both partitions.
    const messages = bad.flatMap((b, i) => [{ key: b.key, value: b.value }, ...(i % 4 === 0 && good[i / 4] ? [toMessage(good[i / 4]!)] : [])]);
    for (const g of good.slice(Math.ceil(bad.length / 4))) messages.push(toMessage(g));
    await sendMessages(tk.kafka, config.topics.raw, messages, 50);
    const app = await startTestApp(config);
    const total = bad.length + good.length;
    const out = await readTopics(tk.kafka, outputTopics(config), { until: (r) => r.length >= total, timeoutMs: 120_000 });
    const settled = await readTopics(tk.kafka, outputTopics(config), { minCount: out.length, quietMs: 1000 });
    expect(settled).toHaveLength(total);

    const dlq = new Map(settled.filter((r) => r.topic === config.topics.dlq).map((r) => [r.key, r]));
    expect(dlq.size).toBe(bad.length);
    for (const b of bad) {
      const r = dlq.get(b.key);
      expect(r, b.name).toBeDefined();
      expect(r!.value!.equals(b.value), `${b.name}: original bytes`).toBe(true);
      expect(r!.headers[Headers.errorCode], b.name).toBe(b.code);
      expect(r!.headers[Headers.errorMessage]!.length, b.name).toBeGreaterThan(5);
      expect(r!.headers[Headers.originalTopic]).toBe(config.topics.raw);
    }
    const done = settled.filter((r) => r.topic !== config.topics.dlq).map((r) => r.key).sort();
    expect(done).toEqual(good.map((g) => g.id).sort());
    // Never crashed: one raw consumer, still running, with all of it committed.
    expect(app.raw.stats().routes.dlq).toBe(bad.length);
  });
});
