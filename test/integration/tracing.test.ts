/**
 * OpenTelemetry on the real broker, exported to a test OTLP receiver: a document's trace
 * continues the ingestion producer's, has one GenAI client span per chain step, the gate, the
 * send and the commit, and the output's `traceparent` names our send span. A retry hop continues
 * the same trace, linked to the attempt before it. Both encodings (http/json, http/protobuf),
 * and the /metrics series over OTLP.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp } from '../support/app.ts';
import { doc, startHarness, type Harness } from '../support/harness.ts';
import { openTestKafka, outputTopics, readTopics, sendMessages, testConfig } from '../support/kafka.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.ts';
import { corpusDocs } from '../support/docs.ts';
import type { Processor } from '../../src/processes/processor.ts';

const CLIENT = 3;
const PRODUCER = 4;
const CONSUMER = 5;

const newTraceparent = () => {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, header: `00-${traceId}-${spanId}-01` };
};
const parseTraceparent = (h: string | undefined) => {
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(h ?? '');
  return m ? { traceId: m[1]!, spanId: m[2]! } : undefined;
};

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  cleanups = [];
});

async function receiver(): Promise<OtlpReceiver> {
  const r = await startOtlpReceiver();
  cleanups.push(() => r.close());
  return r;
}

const byTrace = (spans: ReceivedSpan[], traceId: string) => spans.filter((s) => s.traceId === traceId);

describe('OpenTelemetry traces and OTLP metrics', () => {
  it('http/json: each document continues its producer\'s trace (process, one chat span per step, gate, send, commit); outputs carry it on; the metrics arrive too', async () => {
    const otlp = await receiver();
    const config = testConfig({
      TOPIC_PARTITIONS: '2', OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_METRIC_EXPORT_INTERVAL: '500', OTEL_SERVICE_NAME: 'enricher-under-test', OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=s3cret%20key',
    });
    const tk = await openTestKafka(config);
    let app: Processor | undefined = await startTestApp(config);
    cleanups.push(async () => app?.stop());
    const docs = corpusDocs(6, 'tr');
    const parents = new Map(docs.map((d) => [d.id, newTraceparent()]));
    // One document comes without a trace: it starts its own.
    await sendMessages(tk.kafka, config.topics.raw, docs.map((d, i) => ({
      key: d.id, value: Buffer.from(JSON.stringify(d)), ...(i === 5 ? {} : { headers: { traceparent: parents.get(d.id)!.header, tracestate: 'vendor=1' } }),
    })));
    const out = await readTopics(tk.kafka, outputTopics(config), { until: (r) => r.length >= docs.length, timeoutMs: 60_000 });
    expect(out).toHaveLength(docs.length);
    await app.stop(); // flushes what the batch processor still holds
    app = undefined;

    expect([...otlp.contentTypes].every((t) => t.includes('json'))).toBe(true);
    expect(otlp.headers.every((h) => h['x-api-key'] === 's3cret key')).toBe(true);
    for (const r of out) {
      const carried = parseTraceparent(r.headers.traceparent);
      expect(carried, `output of ${r.key} carries a traceparent`).toBeDefined();
      const i = docs.findIndex((d) => d.id === r.key);
      // The trace's vendor state travels with it, as W3C Trace Context asks.
      expect(r.headers.tracestate).toBe(i === 5 ? undefined : 'vendor=1');
      const producer = parents.get(r.key!)!;
      if (i !== 5) expect(carried!.traceId).toBe(producer.traceId);
      const spans = byTrace(otlp.spans, carried!.traceId);
      const process = spans.filter((s) => s.name === `process ${config.topics.raw}`);
      expect(process).toHaveLength(1);
      expect(process[0]!.kind).toBe(CONSUMER);
      expect(process[0]!.parentSpanId).toBe(i === 5 ? '' : producer.spanId);
      expect(process[0]!.attributes).toMatchObject({ 'messaging.system': 'kafka', 'messaging.destination.name': config.topics.raw, 'enricher.document_id': r.key, 'enricher.attempt': 1 });
      expect(process[0]!.resource['service.name']).toBe('enricher-under-test');
      const children = spans.filter((s) => s.parentSpanId === process[0]!.spanId);
      const chats = children.filter((s) => s.kind === CLIENT);
      expect(chats.map((s) => s.attributes['enricher.step']).sort()).toEqual(['classify', 'extract', 'summarize']);
      for (const c of chats) {
        expect(c.name).toBe(`chat ${config.llm.model}`);
        expect(c.attributes).toMatchObject({ 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'offline', 'gen_ai.request.model': config.llm.model, 'enricher.cache_hit': false, 'enricher.llm_calls': 1 });
        expect(c.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
        expect(c.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
        expect(c.attributes['enricher.cost_usd']).toBeGreaterThan(0);
        // Document text is never exported unless asked for.
        expect(c.attributes['gen_ai.input.messages']).toBeUndefined();
        expect(c.endNs).toBeGreaterThan(c.startNs);
      }
      const route = r.topic === config.topics.enriched ? 'enriched' : 'review';
      expect(children.filter((s) => s.name === 'gate').map((s) => s.attributes['enricher.route'])).toEqual([route]);
      const send = children.filter((s) => s.kind === PRODUCER);
      expect(send.map((s) => s.name)).toEqual([`send ${r.topic}`]);
      // The output's traceparent names our send span: a consumer of documents.enriched continues from it.
      expect(send[0]!.spanId).toBe(carried!.spanId);
      const commit = children.filter((s) => s.name === 'commit');
      expect(commit).toHaveLength(1);
      // The document's span lasts until its output is committed.
      expect(process[0]!.endNs).toBe(commit[0]!.endNs);
      expect(commit[0]!.startNs).toBeGreaterThanOrEqual(send[0]!.startNs);
    }

    // The /metrics series, over OTLP: the GenAI histogram under its convention name and unit.
    const last = otlp.metricExports.at(-1)!;
    const duration = last.find((m) => m.name === 'gen_ai.client.operation.duration');
    expect(duration).toMatchObject({ type: 'histogram', unit: 's' });
    const ok = duration!.points.filter((p) => p.attributes['outcome'] === 'ok');
    expect(ok.reduce((n, p) => n + p.count!, 0)).toBe(docs.length * 3);
    for (const p of ok) {
      expect(p.attributes['gen_ai.request.model']).toBe(config.llm.model);
      expect(p.buckets!.length).toBe(p.bounds!.length + 1);
      expect(p.buckets!.reduce((a, b) => a + b, 0)).toBe(p.count);
    }
    const documents = last.find((m) => m.name === 'enricher_documents');
    expect(documents).toMatchObject({ type: 'sum', isMonotonic: true });
    expect(documents!.points.reduce((n, p) => n + p.value!, 0)).toBe(docs.length);
    // Read at collection: the lag of the assigned partitions while the processor ran (none once it stopped).
    const lags = otlp.metricExports.flatMap((e) => e.filter((m) => m.name === 'enricher_consumer_lag' && m.points.length > 0));
    expect(lags.length).toBeGreaterThan(0);
    expect(lags[0]!.type).toBe('gauge');
    expect(lags[0]!.points.map((p) => p.attributes['topic'])).toContain(config.topics.raw);
  });

  it('http/protobuf: a retry hop continues the trace, linked to the attempt before it; prompts go into spans only when asked', async () => {
    const otlp = await receiver();
    const h: Harness = await startHarness({
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_METRICS_EXPORTER: 'none', OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true', LLM_CALL_RETRIES: '0',
    });
    cleanups.push(() => h.close());
    h.server.addFault({ match: { documentId: 'hop', step: 'summarize' }, times: 1, action: { status: 500 } });
    const producer = newTraceparent();
    await h.produce([{ key: 'hop', value: Buffer.from(JSON.stringify(doc('hop'))), headers: { traceparent: producer.header } }]);
    const out = await readTopics(h.tk.kafka, outputTopics(h.config), { until: (r) => r.length >= 1, timeoutMs: 45_000 });
    expect(out).toHaveLength(1);
    await h.app.stop();
    await h.close();
    cleanups = cleanups.filter((c) => c !== h.close);

    expect([...otlp.contentTypes].every((t) => t.includes('protobuf'))).toBe(true);
    expect(otlp.metricExports).toHaveLength(0);
    const spans = byTrace(otlp.spans, producer.traceId);
    const first = spans.find((s) => s.name === `process ${h.config.topics.raw}`)!;
    expect(first.parentSpanId).toBe(producer.spanId);
    const failed = spans.find((s) => s.parentSpanId === first.spanId && s.attributes['enricher.step'] === 'summarize')!;
    expect(failed.status.code).toBe(2);
    expect(failed.attributes['error.type']).toBe('LLM_SERVER_ERROR');
    const hopSend = spans.find((s) => s.parentSpanId === first.spanId && s.kind === PRODUCER)!;
    expect(hopSend.name).toMatch(/^send .*retry/);
    // The second attempt: on the retry topic, a child of the first attempt's send, and linked to it.
    const second = spans.find((s) => s.kind === CONSUMER && s.spanId !== first.spanId)!;
    expect(second.name).toBe(`process ${hopSend.name.slice('send '.length)}`);
    expect(second.parentSpanId).toBe(hopSend.spanId);
    expect(second.links).toEqual([{ traceId: producer.traceId, spanId: hopSend.spanId, attributes: { 'enricher.link': 'previous attempt' } }]);
    expect(second.attributes['enricher.attempt']).toBe(2);
    // The steps done before the failure came from the progress the envelope carried: only summarize and classify ran again.
    const again = spans.filter((s) => s.parentSpanId === second.spanId && s.kind === CLIENT);
    expect(again.map((s) => s.attributes['enricher.step']).sort()).toEqual(['classify', 'summarize']);
    const summarize = again.find((s) => s.attributes['enricher.step'] === 'summarize')!;
    expect(summarize.attributes['gen_ai.response.model']).toBe(h.config.llm.model);
    const input = JSON.parse(String(summarize.attributes['gen_ai.input.messages'])) as { role: string; parts: { content: string }[] }[];
    expect(input.map((m) => m.role)).toEqual(['system', 'user']);
    expect(input[1]!.parts[0]!.content).toContain('Acme Corp');
    expect(String(summarize.attributes['gen_ai.output.messages'])).toContain('assistant');
    const finalSend = spans.find((s) => s.parentSpanId === second.spanId && s.kind === PRODUCER)!;
    expect(parseTraceparent(out[0]!.headers.traceparent)).toEqual({ traceId: producer.traceId, spanId: finalSend.spanId });
  });
});
