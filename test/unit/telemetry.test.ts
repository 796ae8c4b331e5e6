/**
 * The OpenTelemetry settings and the /metrics registry as OTLP: endpoints as the specification
 * derives them, a bad protocol named at start, no tracing without an endpoint, and Prometheus'
 * cumulative buckets turned into OTLP's per-bucket counts under the conventions' names.
 */
import { describe, expect, it } from 'vitest';
import { DataPointType, type HistogramMetricData, type SumMetricData } from '@opentelemetry/sdk-metrics';
import { loadConfig } from '../../src/config.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { otlpAttributes, otlpName, promRegistryProducer } from '../../src/observability/tracing/prom-to-otlp.ts';
import { createTelemetry, signalUrl } from '../../src/observability/tracing/telemetry.ts';
import { silentLogger } from '../../src/observability/logger.ts';

const telemetryOf = (env: Record<string, string>) => loadConfig(env).telemetry;

describe('OpenTelemetry settings', () => {
  it('derives each signal\'s URL from the base endpoint, unless its own is set, an exporter is none, or the SDK is disabled', () => {
    const base = telemetryOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' });
    expect(signalUrl(base, 'traces')).toBe('http://collector:4318/v1/traces');
    expect(signalUrl(base, 'metrics')).toBe('http://collector:4318/v1/metrics');
    const own = telemetryOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://tempo/otlp/traces', OTEL_METRICS_EXPORTER: 'none' });
    expect(signalUrl(own, 'traces')).toBe('https://tempo/otlp/traces');
    expect(signalUrl(own, 'metrics')).toBeUndefined();
    expect(signalUrl(telemetryOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }), 'traces')).toBeUndefined();
    expect(signalUrl(telemetryOf({}), 'traces')).toBeUndefined();
  });

  it('defaults: protobuf, parent-based sampling of every trace, no content in spans', () => {
    const c = telemetryOf({});
    expect(c).toMatchObject({ protocol: 'http/protobuf', sampler: 'parentbased_always_on', samplerArg: 1, serviceName: 'llm-enricher', captureContent: false });
  });

  it('fails at start naming the setting: grpc, a sampler ratio out of range, a header list without keys, a URL that is not http(s)', () => {
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL: expected http\/protobuf or http\/json \(grpc is not supported/);
    expect(() => loadConfig({ OTEL_TRACES_SAMPLER_ARG: '1.5' })).toThrow(/OTEL_TRACES_SAMPLER_ARG/);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_HEADERS: '=x' })).toThrow(/OTEL_EXPORTER_OTLP_HEADERS: expected key=value pairs/);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
  });

  it('never echoes the export headers (they carry API keys) in a config error', () => {
    try {
      loadConfig({ OTEL_EXPORTER_OTLP_HEADERS: 'api-key=%zz-secret-value' });
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toContain('OTEL_EXPORTER_OTLP_HEADERS');
      expect((e as Error).message).not.toContain('secret-value');
    }
  });

  it('percent-decodes header and resource attribute values', () => {
    const c = telemetryOf({ OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Basic%20abc,x-tenant=t1', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod,team=data%2Fml' });
    expect(c.headers).toEqual({ Authorization: 'Basic abc', 'x-tenant': 't1' });
    expect(c.resourceAttributes).toEqual({ 'deployment.environment.name': 'prod', team: 'data/ml' });
  });

  it('off without an endpoint: nothing is traced and start loads nothing', async () => {
    const t = createTelemetry({ config: loadConfig({}), instanceId: 'i', registry: createMetrics().registry, logger: silentLogger() });
    expect(t.enabled).toBe(false);
    await t.start();
    expect(t.tracing.startDocument({ topic: 'documents.raw', partition: 0, offset: '0', key: null, headers: {} })).toBeUndefined();
    await t.stop();
  });
});

describe('the /metrics registry as OTLP', () => {
  it('maps names the way the Prometheus mapping reverses them, and GenAI labels to dotted attributes', () => {
    expect(otlpName('gen_ai_client_operation_duration_seconds', 'histogram')).toEqual({ name: 'gen_ai.client.operation.duration', unit: 's' });
    expect(otlpName('gen_ai_client_token_usage', 'histogram')).toEqual({ name: 'gen_ai.client.token.usage', unit: '{token}' });
    expect(otlpName('enricher_documents_total', 'counter')).toEqual({ name: 'enricher_documents', unit: '' });
    expect(otlpName('enricher_pool_wait_seconds', 'histogram')).toEqual({ name: 'enricher_pool_wait', unit: 's' });
    expect(otlpName('enricher_consumer_lag', 'gauge')).toEqual({ name: 'enricher_consumer_lag', unit: '' });
    expect(otlpAttributes({ gen_ai_request_model: 'm', gen_ai_token_type: 'input', error_type: '', step: 'extract', le: '0.5' }))
      .toEqual({ 'gen_ai.request.model': 'm', 'gen_ai.token.type': 'input', step: 'extract' });
  });

  it('turns cumulative buckets into per-bucket counts with the overflow bucket last; counters stay cumulative sums', async () => {
    const m = createMetrics();
    const labels = { step: 'extract', gen_ai_operation_name: 'chat', gen_ai_provider_name: 'openai', gen_ai_request_model: 'gpt-4o-mini', gen_ai_response_model: 'gpt-4o-mini', outcome: 'ok', error_type: '' };
    for (const s of [0.03, 0.07, 0.07, 0.3, 3, 500]) m.llmDuration.observe(labels, s);
    m.documents.inc({ route: 'enriched' }, 5);
    const { resourceMetrics, errors } = await promRegistryProducer(m.registry, 1_000).collect();
    expect(errors).toEqual([]);
    const metrics = resourceMetrics.scopeMetrics[0]!.metrics;
    const h = metrics.find((d) => d.descriptor.name === 'gen_ai.client.operation.duration') as HistogramMetricData;
    expect(h.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(h.dataPoints).toHaveLength(1);
    const p = h.dataPoints[0]!;
    expect(p.attributes).toEqual({ step: 'extract', 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.response.model': 'gpt-4o-mini', outcome: 'ok' });
    expect(p.value.buckets.boundaries).toEqual([0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120]);
    expect(p.value.buckets.counts).toEqual([1, 2, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
    expect(p.value.count).toBe(6);
    expect(p.value.sum).toBeCloseTo(503.47, 6);
    expect(p.startTime).toEqual([1, 0]);
    const docs = metrics.find((d) => d.descriptor.name === 'enricher_documents') as SumMetricData;
    expect(docs).toMatchObject({ dataPointType: DataPointType.SUM, isMonotonic: true });
    expect(docs.dataPoints.map((d) => [d.attributes, d.value])).toEqual([[{ route: 'enriched' }, 5]]);
    // A series with no sample yet is not sent.
    expect(metrics.find((d) => d.descriptor.name === 'enricher_dlq')).toBeUndefined();
  });
});
