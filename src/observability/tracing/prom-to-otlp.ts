/**
 * The /metrics registry as OTLP metrics, so that users without Prometheus get the same series
 * (OTEL_EXPORTER_OTLP_ENDPOINT). prom-client stays the one place a value is recorded; this
 * producer reads it at each export. Names are mapped so that a collector turning OTLP back into
 * Prometheus form (the conventions' mapping: `_total` for monotonic sums, the unit as a suffix)
 * yields the names /metrics has; the GenAI series get their convention names and dotted
 * attributes (gen_ai.client.operation.duration, gen_ai.request.model, error.type).
 */
import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import { emptyResource } from '@opentelemetry/resources';
import { AggregationTemporality, DataPointType, type CollectionResult, type MetricData, type MetricProducer } from '@opentelemetry/sdk-metrics';
import type { Registry } from 'prom-client';

/** The convention names of the series whose Prometheus form we export. */
const CONVENTION_NAMES: Record<string, { name: string; unit: string }> = {
  gen_ai_client_operation_duration_seconds: { name: 'gen_ai.client.operation.duration', unit: 's' },
  gen_ai_client_token_usage: { name: 'gen_ai.client.token.usage', unit: '{token}' },
};

/** A Prometheus name as an OTLP name and unit: the unit suffix and `_total` come back from the mapping. */
export function otlpName(promName: string, type: string): { name: string; unit: string } {
  const known = CONVENTION_NAMES[promName];
  if (known) return known;
  let name = promName;
  if (type === 'counter' && name.endsWith('_total')) name = name.slice(0, -'_total'.length);
  if (name.endsWith('_seconds')) return { name: name.slice(0, -'_seconds'.length), unit: 's' };
  return { name, unit: '' };
}

/** gen_ai_request_model → gen_ai.request.model, error_type → error.type; our own labels stay. */
export function otlpAttributes(labels: Record<string, string | number>): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(labels)) {
    if (k === 'le' || v === '') continue;
    const key = k.startsWith('gen_ai_') ? `gen_ai.${k.slice('gen_ai_'.length).replace(/_/g, '.')}` : k === 'error_type' ? 'error.type' : k;
    out[key] = v;
  }
  return out;
}

interface PromValue { value: number; labels: Record<string, string | number>; metricName?: string }
interface PromMetric { name: string; help: string; type: string; values: PromValue[] }

/** A label set's identity, without `le`: the buckets of one histogram series share it. */
const seriesKey = (labels: Record<string, string | number>) => JSON.stringify(Object.entries(labels).filter(([k]) => k !== 'le').sort(([a], [b]) => a.localeCompare(b)));

/** Prometheus' cumulative buckets (with +Inf) as OTLP's explicit buckets (per bucket, +Inf implicit). */
function histogramPoints(m: PromMetric, startTime: HrTime, endTime: HrTime): MetricData['dataPoints'] {
  const series = new Map<string, { labels: Record<string, string | number>; buckets: [number, number][]; sum: number; count: number }>();
  for (const v of m.values) {
    const key = seriesKey(v.labels);
    let s = series.get(key);
    if (!s) series.set(key, (s = { labels: Object.fromEntries(Object.entries(v.labels).filter(([k]) => k !== 'le')), buckets: [], sum: 0, count: 0 }));
    if (v.metricName?.endsWith('_bucket')) {
      const le = String(v.labels.le);
      if (le !== '+Inf') s.buckets.push([Number(le), v.value]);
    } else if (v.metricName?.endsWith('_sum')) s.sum = v.value;
    else if (v.metricName?.endsWith('_count')) s.count = v.value;
  }
  return [...series.values()].map((s) => {
    s.buckets.sort((a, b) => a[0] - b[0]);
    const counts: number[] = [];
    let below = 0;
    for (const [, cumulative] of s.buckets) {
      counts.push(cumulative - below);
      below = cumulative;
    }
    counts.push(s.count - below);
    return {
      startTime, endTime, attributes: otlpAttributes(s.labels),
      value: { buckets: { boundaries: s.buckets.map(([b]) => b), counts }, sum: s.sum, count: s.count },
    };
  });
}

function toMetricData(m: PromMetric, startTime: HrTime, endTime: HrTime): MetricData | undefined {
  const { name, unit } = otlpName(m.name, m.type);
  const descriptor = { name, description: m.help, unit, valueType: ValueType.DOUBLE };
  const points = () => m.values.map((v) => ({ startTime, endTime, attributes: otlpAttributes(v.labels), value: v.value }));
  switch (m.type) {
    case 'counter':
      return { descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.SUM, isMonotonic: true, dataPoints: points() };
    case 'gauge':
      return { descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.GAUGE, dataPoints: points() };
    case 'histogram':
      return { descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.HISTOGRAM, dataPoints: histogramPoints(m, startTime, endTime) } as MetricData;
    default:
      return undefined; // no summaries are registered
  }
}

export function promRegistryProducer(registry: Registry, startedAtMs: number = Date.now()): MetricProducer {
  const startTime = millisToHrTime(startedAtMs);
  return {
    async collect(): Promise<CollectionResult> {
      const endTime = millisToHrTime(Date.now());
      const metrics = (await registry.getMetricsAsJSON()) as unknown as PromMetric[];
      const data = metrics.map((m) => toMetricData(m, startTime, endTime)).filter((d): d is MetricData => d !== undefined && d.dataPoints.length > 0);
      return { resourceMetrics: { resource: emptyResource(), scopeMetrics: [{ scope: { name: 'llm-enricher' }, metrics: data }] }, errors: [] };
    },
  };
}
