/**
 * A test OTLP/HTTP receiver: POST /v1/traces and /v1/metrics in either encoding (http/json, or
 * http/protobuf decoded with protobufjs from the part of the OTLP schema we read), normalised to
 * one shape so that a test asserts the same things of both.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, unknown>;
  links: { traceId: string; spanId: string; attributes: Record<string, unknown> }[];
  status: { code: number; message?: string };
  resource: Record<string, unknown>;
}

export interface ReceivedMetric {
  name: string;
  unit: string;
  type: 'sum' | 'gauge' | 'histogram';
  isMonotonic?: boolean;
  points: { attributes: Record<string, unknown>; value?: number; count?: number; sum?: number; bounds?: number[]; buckets?: number[] }[];
  resource: Record<string, unknown>;
}

export interface OtlpReceiver {
  url: string;
  spans: ReceivedSpan[];
  /** Each export of metrics, in arrival order. */
  metricExports: ReceivedMetric[][];
  /** The content types of the requests (to tell which encoding the exporter used). */
  contentTypes: Set<string>;
  headers: Record<string, string | string[] | undefined>[];
  close(): Promise<void>;
}

const PROTO = `
syntax = "proto3";
package otlp;
message AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7; } }
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message Resource { repeated KeyValue attributes = 1; }
message Scope { string name = 1; string version = 2; }
message Status { string message = 2; int32 code = 3; }
message Link { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; repeated KeyValue attributes = 4; }
message Span { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4; string name = 5; int32 kind = 6;
  fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8; repeated KeyValue attributes = 9; repeated Link links = 13; Status status = 15; }
message ScopeSpans { Scope scope = 1; repeated Span spans = 2; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message NumberDataPoint { repeated KeyValue attributes = 7; fixed64 start_time_unix_nano = 2; fixed64 time_unix_nano = 3; double as_double = 4; sfixed64 as_int = 6; }
message HistogramDataPoint { repeated KeyValue attributes = 9; fixed64 start_time_unix_nano = 2; fixed64 time_unix_nano = 3; fixed64 count = 4;
  optional double sum = 5; repeated fixed64 bucket_counts = 6; repeated double explicit_bounds = 7; }
message Gauge { repeated NumberDataPoint data_points = 1; }
message Sum { repeated NumberDataPoint data_points = 1; int32 aggregation_temporality = 2; bool is_monotonic = 3; }
message Histogram { repeated HistogramDataPoint data_points = 1; int32 aggregation_temporality = 2; }
message Metric { string name = 1; string description = 2; string unit = 3; Gauge gauge = 5; Sum sum = 7; Histogram histogram = 9; }
message ScopeMetrics { Scope scope = 1; repeated Metric metrics = 2; }
message ResourceMetrics { Resource resource = 1; repeated ScopeMetrics scope_metrics = 2; }
message ExportMetricsServiceRequest { repeated ResourceMetrics resource_metrics = 1; }
`;

const root = protobuf.parse(PROTO, { keepCase: false }).root;
const TraceRequest = root.lookupType('otlp.ExportTraceServiceRequest');
const MetricsRequest = root.lookupType('otlp.ExportMetricsServiceRequest');

/* eslint-disable @typescript-eslint/no-explicit-any -- OTLP's JSON, read loosely */
type Json = any;

/** An id: hex in OTLP/JSON, base64 once protobufjs turned bytes into a string. */
const id = (v: unknown, protobufBytes: boolean) => (typeof v !== 'string' || v === '' ? '' : protobufBytes ? Buffer.from(v, 'base64').toString('hex') : v);

function anyValue(v: Json): unknown {
  if (!v) return undefined;
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('arrayValue' in v) return (v.arrayValue.values ?? []).map(anyValue);
  return undefined;
}
const attrs = (list: Json[] | undefined): Record<string, unknown> => Object.fromEntries((list ?? []).map((kv: Json) => [kv.key, anyValue(kv.value)]));

function spansOf(req: Json, pb: boolean): ReceivedSpan[] {
  return (req.resourceSpans ?? []).flatMap((rs: Json) => (rs.scopeSpans ?? []).flatMap((ss: Json) => (ss.spans ?? []).map((s: Json): ReceivedSpan => ({
    traceId: id(s.traceId, pb), spanId: id(s.spanId, pb), parentSpanId: id(s.parentSpanId, pb), name: s.name, kind: Number(s.kind ?? 0),
    startNs: BigInt(s.startTimeUnixNano), endNs: BigInt(s.endTimeUnixNano), attributes: attrs(s.attributes),
    links: (s.links ?? []).map((l: Json) => ({ traceId: id(l.traceId, pb), spanId: id(l.spanId, pb), attributes: attrs(l.attributes) })),
    status: { code: Number(s.status?.code ?? 0), ...(s.status?.message ? { message: s.status.message } : {}) },
    resource: attrs(rs.resource?.attributes),
  }))));
}

function metricsOf(req: Json): ReceivedMetric[] {
  return (req.resourceMetrics ?? []).flatMap((rm: Json) => (rm.scopeMetrics ?? []).flatMap((sm: Json) => (sm.metrics ?? []).map((m: Json): ReceivedMetric => {
    const resource = attrs(rm.resource?.attributes);
    const num = (p: Json) => ({ attributes: attrs(p.attributes), value: Number(p.asDouble ?? p.asInt ?? 0) });
    if (m.histogram) {
      return {
        name: m.name, unit: m.unit ?? '', type: 'histogram', resource,
        points: (m.histogram.dataPoints ?? []).map((p: Json) => ({
          attributes: attrs(p.attributes), count: Number(p.count), sum: Number(p.sum ?? 0),
          bounds: (p.explicitBounds ?? []).map(Number), buckets: (p.bucketCounts ?? []).map(Number),
        })),
      };
    }
    if (m.sum) return { name: m.name, unit: m.unit ?? '', type: 'sum', isMonotonic: Boolean(m.sum.isMonotonic), points: (m.sum.dataPoints ?? []).map(num), resource };
    return { name: m.name, unit: m.unit ?? '', type: 'gauge', points: (m.gauge?.dataPoints ?? []).map(num), resource };
  })));
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks);
  return req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
}

/** The spans of one export request's body, in either encoding. */
export function decodeSpans(bytes: Buffer, contentType: string): ReceivedSpan[] {
  const pb = contentType.includes('protobuf');
  return spansOf(pb ? TraceRequest.toObject(TraceRequest.decode(bytes), { longs: String, bytes: String, defaults: false }) : JSON.parse(bytes.toString('utf8')), pb);
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const r: Omit<OtlpReceiver, 'url' | 'close'> = { spans: [], metricExports: [], contentTypes: new Set(), headers: [] };
  const server = createServer((req, res) => {
    void (async () => {
      const bytes = await body(req);
      const type = String(req.headers['content-type'] ?? '');
      r.contentTypes.add(type);
      r.headers.push(req.headers);
      const pb = type.includes('protobuf');
      const path = (req.url ?? '').split('?')[0];
      const decode = (t: protobuf.Type) => (pb ? t.toObject(t.decode(bytes), { longs: String, bytes: String, defaults: false }) : JSON.parse(bytes.toString('utf8')));
      if (path === '/v1/traces') r.spans.push(...spansOf(decode(TraceRequest), pb));
      else if (path === '/v1/metrics') r.metricExports.push(metricsOf(decode(MetricsRequest)));
      else {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': pb ? 'application/x-protobuf' : 'application/json' }).end(pb ? Buffer.alloc(0) : '{}');
    })().catch((e: Error) => res.writeHead(400).end(e.message));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { ...r, url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
