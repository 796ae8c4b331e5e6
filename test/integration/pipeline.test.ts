/**
 * The core pipeline against the real broker: documents in, each exactly once in enriched or
 * review, routed by the threshold, with usage and cost; malformed input to the DLQ with its
 * original bytes and reasons while the documents around it are processed.
 */
import { describe, expect, it } from 'vitest';
import type { EnrichedDocument, ReviewItem } from '../../src/contracts/index.ts';
import { Headers } from '../../src/contracts/index.ts';
import { startTestApp } from '../support/app.ts';
import { corpusDocs, toMessage } from '../support/docs.ts';
import { doc, startHarness } from '../support/harness.ts';
import { jsonValue, openTestKafka, outputTopics, readTopics, sendMessages, testConfig } from '../support/kafka.ts';

describe('pipeline on a real broker', () => {
  it('routes 200 documents exactly once to enriched or review, by the threshold, with usage and cost', async () => {
    const config = testConfig({ LLM_CACHE_SIZE: '0', QUALITY_THRESHOLD: '0.8' });
    const tk = await openTestKafka(config);
    const docs = corpusDocs(200);
    await sendMessages(tk.kafka, config.topics.raw, docs.map(toMessage));
    await startTestApp(config);
    const out = await readTopics(tk.kafka, [config.topics.enriched, config.topics.review], {
      until: (r) => r.length >= 200,
      timeoutMs: 90_000,
    });
    // Give a duplicate, if there were one, the time to show up.
    const after = await readTopics(tk.kafka, [config.topics.enriched, config.topics.review], { minCount: out.length, quietMs: 1500 });

    const ids = after.map((r) => r.key);
    expect(new Set(ids).size).toBe(200);
    expect(ids.length).toBe(200);
    expect(new Set(ids)).toEqual(new Set(docs.map((d) => d.id)));

    const enriched = after.filter((r) => r.topic === config.topics.enriched).map((r) => jsonValue<EnrichedDocument>(r));
    const review = after.filter((r) => r.topic === config.topics.review).map((r) => jsonValue<ReviewItem>(r));
    expect(enriched.length).toBeGreaterThan(0);
    expect(review.length).toBeGreaterThan(0);
    for (const e of enriched) {
      expect(e.classification.confidence).toBeGreaterThanOrEqual(0.8);
      expect(e.partial).toBe(false);
    }
    for (const r of review) {
      expect(r.review_reasons.length).toBeGreaterThan(0);
      expect(r.threshold).toBe(0.8);
      if (r.review_reasons.every((x) => x.code === 'LOW_CONFIDENCE')) expect(r.classification.confidence).toBeLessThan(0.8);
    }
    for (const d of [...enriched, ...review]) {
      expect(d.usage.calls).toBe(3);
      expect(d.usage.input_tokens).toBeGreaterThan(50);
      expect(d.usage.output_tokens).toBeGreaterThan(5);
      expect(d.usage.cost_usd).toBeGreaterThan(0);
      expect(d.model).toBe('gpt-4o-mini');
      expect(d.offline).toBe(true);
      expect(d.summary.length).toBeGreaterThan(10);
    }
    // Cost events: one per call, 3 per document, their sum equals the documents' usage.
    const costs = await readTopics(tk.kafka, [config.topics.costEvents], { until: (r) => r.length >= 600, timeoutMs: 30_000 });
    expect(costs.length).toBe(600);
    const sumEvents = costs.reduce((s, r) => s + jsonValue<{ cost_usd: number }>(r).cost_usd, 0);
    const sumDocs = [...enriched, ...review].reduce((s, d) => s + d.usage.cost_usd, 0);
    expect(Math.abs(sumEvents - sumDocs)).toBeLessThan(1e-9);
  });

  it('sends malformed messages to the DLQ with their original bytes and reasons, and processes the rest', async () => {
    const config = testConfig({ TOPIC_PARTITIONS: '1' });
    const tk = await openTestKafka(config);
    const good = corpusDocs(10, 'ok');
    const bad = [
      { key: 'bad-json', value: Buffer.from('{"id": "x", "content": ') },
      { key: 'no-id', value: Buffer.from(JSON.stringify({ content: 'text without an id' })) },
      { key: 'empty-content', value: Buffer.from(JSON.stringify({ id: 'e1', content: '   ' })) },
      { key: 'binary', value: Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80]) },
      { key: 'wrong-type', value: Buffer.from(JSON.stringify({ id: 42, content: ['a'] })) },
    ];
    // Bad messages sit between good ones on one partition, with a header that must survive.
    const messages = good.flatMap((d, i) => [toMessage(d), ...(bad[i] ? [{ ...bad[i]!, headers: { 'x-trace': `t-${i}` } }] : [])]);
    await sendMessages(tk.kafka, config.topics.raw, messages);
    await startTestApp(config);
    const out = await readTopics(tk.kafka, outputTopics(config), {
      until: (r) => r.length >= 15,
      timeoutMs: 60_000,
    });
    const dlq = out.filter((r) => r.topic === config.topics.dlq);
    expect(out.filter((r) => r.topic !== config.topics.dlq).map((r) => r.key).sort()).toEqual(good.map((d) => d.id).sort());
    expect(dlq.map((r) => r.key).sort()).toEqual(bad.map((b) => b.key).sort());
    for (const r of dlq) {
      const original = bad.find((b) => b.key === r.key)!;
      expect(r.value!.equals(original.value)).toBe(true);
      expect(r.headers[Headers.errorCode]).toMatch(/^(INVALID_JSON|SCHEMA_INVALID)$/);
      expect(r.headers[Headers.errorMessage]!.length).toBeGreaterThan(5);
      expect(r.headers[Headers.originalTopic]).toBe(config.topics.raw);
      expect(r.headers[Headers.originalPartition]).toBe('0');
      expect(Number(r.headers[Headers.originalOffset])).toBeGreaterThanOrEqual(0);
      expect(r.headers['x-trace']).toMatch(/^t-\d$/);
    }
    expect(dlq.find((r) => r.key === 'bad-json')!.headers[Headers.errorCode]).toBe('INVALID_JSON');
    expect(dlq.find((r) => r.key === 'no-id')!.headers[Headers.errorCode]).toBe('SCHEMA_INVALID');
  });
});

describe('pipeline through the real OpenAI SDK', () => {
  it('reports in each output exactly the tokens the server billed for it', async () => {
    const h = await startHarness({ TOPIC_PARTITIONS: '2', LLM_CALL_RETRIES: '2' });
    try {
      const ids = Array.from({ length: 20 }, (_, i) => `tok-${i}`);
      // One answer must be repaired: its two billed calls both belong to the document.
      h.server.addFault({ match: { documentId: 'tok-3', step: 'summarize' }, times: 1, action: { malformed: true } });
      await h.produce(ids.map((id) => doc(id)));
      const out = await readTopics(h.tk.kafka, [h.config.topics.enriched, h.config.topics.review], { until: (r) => r.length >= ids.length, timeoutMs: 60_000 });
      expect(out.map((r) => r.key).sort()).toEqual([...ids].sort());
      for (const r of out) {
        const d = jsonValue<EnrichedDocument>(r);
        const billed = h.server.requests().filter((q) => q.documentId === d.document_id && q.billed);
        expect(d.usage.calls, d.document_id).toBe(billed.length);
        expect(d.usage.input_tokens, d.document_id).toBe(billed.reduce((s, q) => s + q.promptTokens, 0));
        expect(d.usage.output_tokens, d.document_id).toBe(billed.reduce((s, q) => s + q.completionTokens, 0));
        expect(d.provider).toBe('openai');
        expect(d.offline).toBe(false);
      }
      expect(jsonValue<EnrichedDocument>(out.find((r) => r.key === 'tok-3')!).usage.calls).toBe(4);
    } finally {
      await h.close();
    }
  });
});
