/**
 * OpenTelemetry export, a part of a process: traces of every document's attempt and the /metrics
 * series over OTLP/HTTP, when OTEL_EXPORTER_OTLP_ENDPOINT (or a signal's own endpoint) is set.
 * Off, it is a no-op: the SDK is not even loaded (imported at start, only when needed), and the
 * pipeline holds `noTracing`, so an unset endpoint costs nothing.
 *
 * `tracing` can be handed out before start (the pipeline is wired first): until the SDK is up it
 * traces nothing.
 */
import type { Registry } from 'prom-client';
import type { Config } from '../../config.ts';
import type { Logger } from '../logger.ts';
import { noTracing, type Tracing } from './document-trace.ts';

export interface Telemetry {
  readonly tracing: Tracing;
  /** Whether anything is exported (an endpoint is set and OTEL_SDK_DISABLED is not). */
  readonly enabled: boolean;
  start(): Promise<void>;
  /** Exports what is still buffered, then stops (after the engines: their last commits end spans). */
  stop(): Promise<void>;
}

type TelemetryConfig = Config['telemetry'];

/** A signal's URL: its own variable, or the base URL with the signal's path (as the specification says). */
export function signalUrl(c: TelemetryConfig, signal: 'traces' | 'metrics'): string | undefined {
  if (c.disabled) return undefined;
  const own = signal === 'traces' ? c.tracesEndpoint : c.metricsEndpoint;
  if ((signal === 'traces' ? c.tracesExporter : c.metricsExporter) === 'none') return undefined;
  if (own) return own;
  return c.endpoint ? `${c.endpoint.replace(/\/+$/, '')}/v1/${signal}` : undefined;
}

async function sampler(c: TelemetryConfig) {
  const { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, TraceIdRatioBasedSampler } = await import('@opentelemetry/sdk-trace');
  const root = c.sampler.endsWith('traceidratio') ? new TraceIdRatioBasedSampler(c.samplerArg)
    : c.sampler.endsWith('always_off') ? new AlwaysOffSampler() : new AlwaysOnSampler();
  return c.sampler.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root;
}

export function createTelemetry(deps: {
  config: Pick<Config, 'telemetry' | 'topics'>;
  instanceId: string;
  registry: Registry;
  logger: Logger;
}): Telemetry {
  const c = deps.config.telemetry;
  const tracesUrl = signalUrl(c, 'traces');
  const metricsUrl = signalUrl(c, 'metrics');
  let active: Tracing = noTracing;
  const stops: (() => Promise<void>)[] = [];
  const tracing: Tracing = { startDocument: (record) => active.startDocument(record) };
  const exporterOptions = (url: string) => ({ url, timeoutMillis: c.timeoutMs, ...(c.headers ? { headers: { ...c.headers } } : {}) });
  const json = c.protocol === 'http/json';

  async function startTraces(url: string, resource: import('@opentelemetry/resources').Resource): Promise<void> {
    const { TracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace');
    const { OTLPTraceExporter } = json ? await import('@opentelemetry/exporter-trace-otlp-http') : await import('@opentelemetry/exporter-trace-otlp-proto');
    const { createOtelTracing } = await import('./otel-document-trace.ts');
    const provider = new TracerProvider({
      resource,
      sampler: await sampler(c),
      // A busy processor makes thousands of spans a second: larger batches, a deeper queue.
      spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter(exporterOptions(url)), maxQueueSize: 16_384, maxExportBatchSize: 2_048, scheduledDelayMillis: 1_000 })],
    });
    const retryPrefix = deps.config.topics.retryPrefix;
    active = createOtelTracing(provider.getTracer('llm-enricher'), { captureContent: c.captureContent, retryTopic: (t) => t.startsWith(retryPrefix) });
    stops.push(async () => {
      active = noTracing;
      await provider.shutdown();
    });
  }

  async function startMetrics(url: string, resource: import('@opentelemetry/resources').Resource): Promise<void> {
    const { MeterProvider, PeriodicExportingMetricReader } = await import('@opentelemetry/sdk-metrics');
    const { OTLPMetricExporter } = json ? await import('@opentelemetry/exporter-metrics-otlp-http') : await import('@opentelemetry/exporter-metrics-otlp-proto');
    const { promRegistryProducer } = await import('./prom-to-otlp.ts');
    const reader = new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter(exporterOptions(url)),
      exportIntervalMillis: c.metricExportIntervalMs,
      exportTimeoutMillis: Math.min(c.timeoutMs, c.metricExportIntervalMs),
      metricProducers: [promRegistryProducer(deps.registry)],
    });
    const provider = new MeterProvider({ resource, readers: [reader] });
    stops.push(() => provider.shutdown());
  }

  return {
    tracing,
    enabled: tracesUrl !== undefined || metricsUrl !== undefined,
    async start() {
      if (!tracesUrl && !metricsUrl) return;
      const { resourceFromAttributes } = await import('@opentelemetry/resources');
      const resource = resourceFromAttributes({ ...c.resourceAttributes, 'service.name': c.serviceName, 'service.instance.id': deps.instanceId });
      if (tracesUrl) await startTraces(tracesUrl, resource);
      if (metricsUrl) await startMetrics(metricsUrl, resource);
      deps.logger.info({ traces: tracesUrl !== undefined, metrics: metricsUrl !== undefined, protocol: c.protocol, sampler: c.sampler }, 'OpenTelemetry export on');
    },
    async stop() {
      // Export failures are the collector's problem, never a reason for a stop to fail.
      for (const s of stops.splice(0).reverse()) await s().catch((e: Error) => deps.logger.warn({ err: e.message }, 'OpenTelemetry export did not finish on stop'));
    },
  };
}
