/**
 * What happens to one message, from bytes to the messages it produces. Shared by the raw
 * consumer (first attempt) and the retry consumer (later attempts). It never throws for a
 * document's fault: every outcome is a set of messages to commit, or a service error that the
 * engine must wait out.
 */
import type { IHeaders } from 'kafkajs';
import type { Config } from '../config.ts';
import { Headers, RawDocument, RetryEnvelope, type ChainProgress } from '../contracts/index.ts';
import type { ChainRunner } from '../llm/chain/run-chain.ts';
import type { Turn } from '../llm/limiter/limiter.ts';
import { EnricherError, ErrorCodes, toEnricherError } from '../errors.ts';
import { routeFailure } from './failure-routing.ts';
import { gateInput, qualityGate } from './gate.ts';
import { decodeJson, decodePlainRaw, headerString, plainJson, type ValueEncoder } from '../kafka/serde.ts';
import { retryTopicName } from '../kafka/topics.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { epochNow, noTracing, type DocumentTrace, type Tracing } from '../observability/tracing/document-trace.ts';
import { buildEnriched, buildReviewItem } from './outputs.ts';
import type { OutgoingMessage, SourceRecord } from '../kafka/records.ts';
import { enrichedMessage, retryMessage, reviewMessage } from './messages.ts';
import { createDeadLetterRoute } from './dead-letter-route.ts';
import type { RuntimeSettings } from '../settings/runtime-settings.ts';
import type { PrimaryResult } from './shadow/shadow-runner.ts';

export type Route = 'enriched' | 'review' | 'retry' | 'dlq';

export type HandleResult =
  | {
    kind: 'done'; route: Route; documentId: string | undefined; messages: OutgoingMessage[];
    /** When the document first entered (its raw record's timestamp, epoch ms): end-to-end latency starts there. */
    enteredAt?: number | undefined;
    /** The attempt's trace (tracing on): its spans end when the outputs commit. */
    trace?: DocumentTrace | undefined;
  }
  | { kind: 'service-error'; documentId: string; error: EnricherError }
  /** The caller said the result is no longer wanted (see CallContext.abandoned): nothing to route. */
  | { kind: 'abandoned'; documentId: string };

export interface DocumentHandler {
  handleRaw(record: SourceRecord, abandoned?: () => boolean): Promise<HandleResult>;
  handleRetry(record: SourceRecord, abandoned?: () => boolean): Promise<HandleResult>;
}

export interface DocumentHandlerDeps {
  config: Pick<Config, 'topics' | 'retry' | 'processing'>;
  chain: ChainRunner;
  settings: RuntimeSettings;
  provider: 'openai' | 'offline';
  promptVersion: string;
  logger: Logger;
  metrics: Metrics;
  /** Told about every chain outcome, for the outage guard. */
  onChainOutcome?: (ok: boolean, error?: EnricherError) => void;
  /** Whether an LLM outage is declared now: a transient failure then spends no attempt. */
  outageDeclared?: () => boolean;
  /** The DLQ storm guard: may hold a dead letter, and counts every finished document. */
  deadLetters?: DeadLetterWatch;
  /** Encodes every value we write (default: plain JSON; with a schema registry, the wire format). */
  encode?: ValueEncoder;
  /** Decodes a raw message (default: plain JSON; with a schema registry, wire format as well). */
  decodeRaw?: (bytes: Buffer | null) => Promise<RawDocument>;
  /** Traces every attempt (OTEL_EXPORTER_OTLP_ENDPOINT); default: none. */
  tracing?: Tracing;
  /** Handed every result the gate routed, its messages made, and not awaited: the shadow's intake (shadow/shadow-runner.ts). */
  onRouted?: (routed: PrimaryResult) => void;
}

export interface DeadLetterWatch {
  /** Asked before a document is dead-lettered: an error to wait out instead, or undefined. */
  hold(error: EnricherError): EnricherError | undefined;
  finished(route: 'enriched' | 'review' | 'dlq', code?: string): void;
}

interface Attempt {
  doc: RawDocument;
  attempt: number;
  progress: ChainProgress;
  origin: Pick<SourceRecord, 'topic' | 'partition' | 'offset' | 'timestamp'>;
  firstFailedAt: string | undefined;
  /** The bytes the DLQ gets if this attempt ends there: the raw message's own. */
  dlqRecord: Pick<SourceRecord, 'key' | 'value' | 'headers'>;
  headers: IHeaders;
  runId: string | undefined;
  /** Its turn for pool slots: where it was read from (for a retry, the retry topic's partition and offset). */
  turn: Turn;
  abandoned: (() => boolean) | undefined;
  /** Times put back without spending an attempt during a declared outage. */
  outageDeferrals: number;
  trace: DocumentTrace | undefined;
}

/** A routed result with when its document first entered (a record timestamp: epoch ms as a string). */
function enteredAt(result: HandleResult, timestamp: string | undefined): HandleResult {
  const ms = Number(timestamp);
  return result.kind === 'done' && timestamp && Number.isFinite(ms) ? { ...result, enteredAt: ms } : result;
}

const turnOf = (r: SourceRecord): Turn => ({ lane: `${r.topic}/${r.partition}`, order: Number(r.offset) });

export function createDocumentHandler(deps: DocumentHandlerDeps): DocumentHandler {
  const { config, logger, metrics } = deps;
  const t = config.topics;
  const encode = deps.encode ?? plainJson;
  const decodeRaw = deps.decodeRaw ?? (async (bytes: Buffer | null) => decodePlainRaw(bytes, RawDocument));

  const { dlq, dlqValue } = createDeadLetterRoute({ topic: t.dlq, encode, deadLetters: deps.deadLetters, metrics, logger });

  /**
   * An output that fails its own registered schema is a bug of ours; it must not stall the
   * partition behind a document that never completes: the DLQ keeps the document and the reason.
   */
  async function attemptChain(a: Attempt): Promise<HandleResult> {
    const started = performance.now();
    let result: HandleResult;
    try {
      result = await runChain(a);
    } catch (e) {
      if (!(e instanceof EnricherError) || e.code !== ErrorCodes.OUTPUT_SCHEMA_INVALID) throw e;
      result = dlq(a.dlqRecord, a.origin, e, a.attempt, a.doc.id);
    }
    if (result.kind === 'done') metrics.chainDuration.observe({ route: result.route }, (performance.now() - started) / 1000);
    return enteredAt(result, a.origin.timestamp);
  }

  async function runChain(a: Attempt): Promise<HandleResult> {
    a.trace?.identify(a.doc.id, a.attempt);
    const chainStarted = performance.now();
    const outcome = await deps.chain(a.doc, { documentId: a.doc.id, attempt: a.attempt, runId: a.runId, turn: a.turn, abandoned: a.abandoned, trace: a.trace }, a.progress);
    // Not a failure of the document or of the API: no routing, no outage statistics.
    if (a.abandoned?.()) {
      logger.debug({ documentId: a.doc.id, attempt: a.attempt }, 'abandoned: its partition was taken by another instance');
      return { kind: 'abandoned', documentId: a.doc.id };
    }
    deps.onChainOutcome?.(outcome.ok, outcome.ok ? undefined : outcome.error);
    if (outcome.ok) {
      const threshold = deps.settings.qualityThreshold();
      const gateStart = a.trace ? epochNow() : 0;
      const judged = gateInput(outcome.result);
      const decision = qualityGate(judged, threshold);
      a.trace?.gate({ start: gateStart, end: epochNow(), route: decision.route, confidence: judged.classification.confidence, threshold, reasons: decision.route === 'review' ? decision.reasons.map((r) => r.code) : [] });
      const enriched = buildEnriched(a.doc, outcome.result, { provider: deps.provider, promptVersion: deps.promptVersion });
      metrics.documents.inc({ route: decision.route });
      deps.deadLetters?.finished(decision.route);
      if (decision.route === 'enriched') logger.info({ documentId: a.doc.id, route: 'enriched', confidence: enriched.classification.confidence, category: enriched.classification.category, attempt: a.attempt }, 'routed');
      else logger.info({ documentId: a.doc.id, route: 'review', reasons: decision.reasons.map((r) => r.code), confidence: enriched.classification.confidence, attempt: a.attempt }, 'routed');
      const messages = [decision.route === 'enriched' ? enrichedMessage(t.enriched, enriched, a.headers, encode) : reviewMessage(t.review, buildReviewItem(enriched, decision.reasons, threshold), a.headers, encode)];
      deps.onRouted?.({ doc: a.doc, result: outcome.result, route: decision.route, threshold, attempt: a.attempt, latencyMs: performance.now() - chainStarted, runId: a.runId });
      return { kind: 'done', route: decision.route, documentId: a.doc.id, messages };
    }

    const err = outcome.error;
    const duringOutage = err.retriable && (deps.outageDeclared?.() ?? false);
    const route = routeFailure(err, a.attempt, config.retry, duringOutage);
    if (route.action === 'pause-service') return { kind: 'service-error', documentId: a.doc.id, error: err };
    if (route.action === 'dlq') {
      const final = route.reason === 'exhausted'
        ? new EnricherError(`retries exhausted after ${a.attempt} attempts; last error ${err.code}: ${err.message}`, { code: err.code, stage: err.stage, retriable: false })
        : err;
      return dlq(a.dlqRecord, a.origin, final, a.attempt, a.doc.id);
    }
    const now = new Date();
    const envelope: RetryEnvelope = {
      document: a.doc,
      progress: outcome.progress,
      attempt: route.nextAttempt,
      first_failed_at: a.firstFailedAt ?? now.toISOString(),
      due_at: new Date(now.getTime() + route.delayMs).toISOString(),
      last_error: { code: err.code, message: err.message.slice(0, 2000), stage: err.stage },
      original: { topic: a.origin.topic, partition: a.origin.partition, offset: a.origin.offset, timestamp: a.origin.timestamp },
      ...(a.runId ? { run_id: a.runId } : {}),
      ...(a.outageDeferrals + (duringOutage ? 1 : 0) > 0 ? { outage_deferrals: a.outageDeferrals + (duringOutage ? 1 : 0) } : {}),
    };
    const topic = retryTopicName(t.retryPrefix, route.delayMs);
    metrics.retries.inc({ code: err.code });
    logger.warn(
      { documentId: a.doc.id, code: err.code, stage: err.stage, attempt: a.attempt, nextAttempt: route.nextAttempt, delayMs: route.delayMs, topic, ...(duringOutage ? { duringOutage } : {}) },
      duringOutage ? 'failed during a declared LLM outage: scheduled a retry, the attempt not counted' : 'transient failure: scheduled a retry',
    );
    return { kind: 'done', route: 'retry', documentId: a.doc.id, messages: [retryMessage(topic, envelope, a.headers, encode)] };
  }

  /** The attempt's trace follows its result: the outputs carry it on; an attempt without outputs ends it now. */
  function traced(result: HandleResult, trace: DocumentTrace | undefined): HandleResult {
    if (!trace) return result;
    if (result.kind === 'done') {
      trace.carry(result.messages, result.route);
      return { ...result, trace };
    }
    trace.endWithout(result.kind, result.kind === 'service-error' ? result.error.code : undefined);
    return result;
  }

  const tracing = deps.tracing ?? noTracing;

  async function raw(record: SourceRecord, abandoned: (() => boolean) | undefined, trace: DocumentTrace | undefined): Promise<HandleResult> {
    const origin = { topic: record.topic, partition: record.partition, offset: record.offset, timestamp: record.timestamp };
    let doc: RawDocument;
    try {
      const size = record.value?.length ?? 0;
      if (size > config.processing.maxDocumentBytes) {
        throw new EnricherError(`document is ${size} bytes, over MAX_DOCUMENT_BYTES (${config.processing.maxDocumentBytes})`, {
          code: ErrorCodes.DOCUMENT_TOO_LARGE, stage: 'validate', retriable: false,
        });
      }
      doc = await decodeRaw(record.value);
    } catch (e) {
      const err = toEnricherError(e, 'decode');
      const key = record.key?.toString('utf8');
      // The registry cannot tell us the writer's schema now: not the document's fault, it waits.
      if (err.scope === 'service') return { kind: 'service-error', documentId: key ?? `offset:${record.offset}`, error: err };
      return enteredAt(dlq(record, origin, err, 1, key), record.timestamp);
    }
    return attemptChain({
      doc, attempt: 1, progress: {}, origin, firstFailedAt: undefined, dlqRecord: record, headers: record.headers,
      runId: headerString(record.headers, Headers.runId), turn: turnOf(record), abandoned, outageDeferrals: 0, trace,
    });
  }

  async function retry(record: SourceRecord, abandoned: (() => boolean) | undefined, trace: DocumentTrace | undefined): Promise<HandleResult> {
    let env: RetryEnvelope;
    try {
      env = decodeJson(record.value, RetryEnvelope, 'retry', 'retry envelope');
    } catch (e) {
      const origin = { topic: record.topic, partition: record.partition, offset: record.offset, timestamp: record.timestamp };
      return dlq(record, origin, toEnricherError(e, 'retry'), 0, record.key?.toString('utf8'));
    }
    // The DLQ gets the document as it came in (key = its id), with the headers it carried.
    const dlqRecord = { key: Buffer.from(env.document.id), value: dlqValue(env.document), headers: record.headers };
    return attemptChain({
      doc: env.document, attempt: env.attempt, progress: env.progress, origin: env.original,
      firstFailedAt: env.first_failed_at, dlqRecord, headers: record.headers, runId: env.run_id, turn: turnOf(record), abandoned,
      outageDeferrals: env.outage_deferrals ?? 0, trace,
    });
  }

  return {
    async handleRaw(record, abandoned) {
      const trace = tracing.startDocument(record);
      return traced(await raw(record, abandoned, trace), trace);
    },
    async handleRetry(record, abandoned) {
      const trace = tracing.startDocument(record);
      return traced(await retry(record, abandoned, trace), trace);
    },
  };
}
