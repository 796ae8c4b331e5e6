/**
 * DocumentTrace made of OpenTelemetry spans (the shape is in document-trace.ts). Spans are
 * given explicit start and end times: most are recorded when their work has ended, so no span
 * is left open when an attempt goes nowhere (an unsampled or abandoned attempt costs nothing
 * more). Attribute names follow the semantic conventions for messaging (Kafka) and GenAI
 * client spans; ours start with `enricher.`.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Link, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { IHeaders } from 'kafkajs';
import { epochNow, TRACEPARENT, TRACESTATE, type DocumentTrace, type StepSpan, type TracedRecord, type Tracing } from './document-trace.ts';

const propagator = new W3CTraceContextPropagator();

const headerGetter = {
  keys: (h: IHeaders) => Object.keys(h),
  get(h: IHeaders, key: string): string | undefined {
    const v = h[key];
    const one = Array.isArray(v) ? v[0] : v;
    return one === undefined ? undefined : one.toString();
  },
};
const headerSetter = { set: (h: IHeaders, key: string, value: string) => void (h[key] = value) };

/** The trace context a record carries (the producer's, or the attempt before), if any. */
function extract(headers: IHeaders): Context {
  return propagator.extract(ROOT_CONTEXT, headers, headerGetter);
}

const messaging = (operation: 'process' | 'send', topic: string): Attributes => ({
  'messaging.system': 'kafka', 'messaging.operation.type': operation, 'messaging.operation.name': operation, 'messaging.destination.name': topic,
});

/** The GenAI conventions' message shape, as a JSON string attribute (only when content capture is on). */
function contentAttributes(c: NonNullable<StepSpan['content']>): Attributes {
  const text = (role: string, content: string) => ({ role, parts: [{ type: 'text', content }] });
  return {
    'gen_ai.input.messages': JSON.stringify([text('system', c.system), text('user', c.user)]),
    'gen_ai.output.messages': JSON.stringify([{ ...text('assistant', JSON.stringify(c.output)), finish_reason: 'stop' }]),
  };
}

function stepAttributes(s: StepSpan): Attributes {
  return {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': s.provider,
    'gen_ai.request.model': s.requestModel,
    ...(s.responseModel ? { 'gen_ai.response.model': s.responseModel } : {}),
    ...(s.maxOutputTokens ? { 'gen_ai.request.max_tokens': s.maxOutputTokens } : {}),
    'gen_ai.usage.input_tokens': s.inputTokens,
    'gen_ai.usage.output_tokens': s.outputTokens,
    'gen_ai.usage.cache_read.input_tokens': s.cachedInputTokens,
    'enricher.step': s.step,
    'enricher.cache_hit': s.cached,
    'enricher.cost_usd': s.costUsd,
    'enricher.llm_calls': s.calls,
    ...(s.poolWaitMs === undefined ? {} : { 'enricher.pool_wait_ms': Math.round(s.poolWaitMs * 1000) / 1000 }),
    ...(s.errorType ? { 'error.type': s.errorType } : {}),
    ...(s.content ? contentAttributes(s.content) : {}),
  };
}

export function createOtelTracing(tracer: Tracer, opts: { captureContent: boolean; retryTopic: (topic: string) => boolean }): Tracing {
  return {
    startDocument(record: TracedRecord): DocumentTrace {
      const parent = extract(record.headers);
      const parentSpan = trace.getSpanContext(parent);
      // A retry hop continues the trace of the attempt before it, and says so with a link too.
      const links: Link[] = parentSpan && opts.retryTopic(record.topic) ? [{ context: parentSpan, attributes: { 'enricher.link': 'previous attempt' } }] : [];
      const doc = tracer.startSpan(`process ${record.topic}`, {
        kind: SpanKind.CONSUMER,
        startTime: epochNow(),
        links,
        attributes: {
          ...messaging('process', record.topic),
          'messaging.destination.partition.id': String(record.partition),
          'messaging.kafka.offset': Number(record.offset),
          ...(record.key ? { 'messaging.kafka.message.key': record.key.toString('utf8') } : {}),
        },
      }, parent);
      const inDoc = trace.setSpan(parent, doc);
      let sends: Span[] = [];
      const child = (name: string, kind: SpanKind, start: number, attributes: Attributes, ctx: Context = inDoc) =>
        tracer.startSpan(name, { kind, startTime: start, attributes }, ctx);

      return {
        captureContent: opts.captureContent,
        identify(documentId, attempt) {
          doc.setAttributes({ 'enricher.document_id': documentId, 'enricher.attempt': attempt });
        },
        step(s) {
          const span = child(`chat ${s.requestModel}`, SpanKind.CLIENT, s.start, stepAttributes(s));
          if (s.errorType) span.setStatus({ code: SpanStatusCode.ERROR, message: s.errorMessage?.slice(0, 500) ?? s.errorType });
          span.end(s.end);
        },
        gate(g) {
          child('gate', SpanKind.INTERNAL, g.start, {
            'enricher.route': g.route, ...(g.confidence === null ? {} : { 'enricher.confidence': g.confidence }), 'enricher.threshold': g.threshold, 'enricher.gate.reasons': g.reasons,
          }).end(g.end);
        },
        carry(messages, route) {
          doc.setAttribute('enricher.route', route);
          if (route === 'dlq') doc.setStatus({ code: SpanStatusCode.ERROR, message: 'dead-lettered' });
          const now = epochNow();
          for (const m of messages) {
            const send = child(`send ${m.topic}`, SpanKind.PRODUCER, now, {
              ...messaging('send', m.topic), 'enricher.route': route,
              ...(m.key === null ? {} : { 'messaging.kafka.message.key': m.key.toString() }),
            });
            sends.push(send);
            // Ours replace the input's trace context (the trace's tracestate is carried on by the span's context).
            delete m.headers[TRACEPARENT];
            delete m.headers[TRACESTATE];
            propagator.inject(trace.setSpan(ROOT_CONTEXT, send), m.headers, headerSetter);
          }
        },
        endWithout(reason, errorType) {
          doc.setAttribute('enricher.ended', reason);
          if (errorType) doc.setAttributes({ 'error.type': errorType });
          for (const s of sends) s.end();
          sends = [];
          doc.end();
        },
        committed(c) {
          child('commit', SpanKind.INTERNAL, c.start, { ...(c.settled ? { 'enricher.commit.settled': true } : {}) }).end(c.end);
          for (const s of sends) s.end(c.end);
          sends = [];
          doc.end(c.end);
        },
      };
    },
  };
}
