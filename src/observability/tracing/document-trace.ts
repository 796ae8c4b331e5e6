/**
 * The trace of one document's attempt, as the pipeline, the step caller and the commit path see
 * it. They only ever hold an optional DocumentTrace: with tracing off, `startDocument` returns
 * undefined, so every hook is one `?.` and nothing else (no OpenTelemetry code is even loaded;
 * see otel-sdk.ts). With tracing on, otel-document-trace.ts makes the spans.
 *
 * The spans of an attempt:
 *   process <topic>   CONSUMER  read → committed; its parent is the record's `traceparent`
 *     chat <model>    CLIENT    one per chain step (GenAI attributes, tokens, cost, cache hit)
 *     gate            INTERNAL  the quality gate's route and reasons
 *     send <topic>    PRODUCER  one per output, routed → committed; its context is the output's `traceparent`
 *     commit          INTERNAL  the transaction that carried the outputs and the consumed offset
 */
import type { IHeaders } from 'kafkajs';

/** W3C trace context headers (https://www.w3.org/TR/trace-context/). */
export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';

/** Epoch milliseconds with sub-millisecond precision, for spans recorded after the fact. */
export const epochNow = (): number => performance.timeOrigin + performance.now();

/** The record an attempt starts from. */
export interface TracedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  headers: IHeaders;
}

/** One chain step, recorded when it ended. */
export interface StepSpan {
  step: string;
  provider: string;
  requestModel: string;
  /** The model that answered (absent when the call failed before an answer). */
  responseModel?: string | undefined;
  start: number;
  end: number;
  cached: boolean;
  /** Billed tokens and cost of the step's real calls (zero for a cache hit). */
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  costUsd: number;
  calls: number;
  maxOutputTokens?: number | undefined;
  /** How long the call waited for a slot of the shared pool. */
  poolWaitMs?: number | undefined;
  /** The error's code when the step failed. */
  errorType?: string | undefined;
  errorMessage?: string | undefined;
  /** Only recorded when OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true. */
  content?: { system: string; user: string; output: unknown } | undefined;
}

export interface GateSpan {
  start: number;
  end: number;
  route: string;
  confidence: number | null;
  threshold: number;
  reasons: string[];
}

export interface DocumentTrace {
  /** Whether prompts and answers may go into spans (the step caller then passes them). */
  readonly captureContent: boolean;
  /** The document's id and attempt, once the record is decoded. */
  identify(documentId: string, attempt: number): void;
  step(s: StepSpan): void;
  gate(g: GateSpan): void;
  /**
   * The outputs leave with this attempt's context: each gets a send span and a `traceparent`
   * naming it (the input's own trace context headers are replaced, every other header kept).
   */
  carry(messages: { topic: string; key: Buffer | string | null; headers: IHeaders }[], route: string): void;
  /** The attempt ended without outputs (a condition to wait out, an abandoned partition): its span ends now. */
  endWithout(reason: string, errorType?: string): void;
  /** The transaction with the outputs committed: the send, commit and document spans end. */
  committed(commit: { start: number; end: number; settled?: boolean }): void;
}

export interface Tracing {
  /** An attempt's trace, or undefined when tracing is off. */
  startDocument(record: TracedRecord): DocumentTrace | undefined;
}

export const noTracing: Tracing = { startDocument: () => undefined };

/** Only the trace context of a record's headers: what a record derived from it (a review decision) carries on. */
export function traceContextHeaders(h: IHeaders): IHeaders {
  const out: IHeaders = {};
  for (const name of [TRACEPARENT, TRACESTATE]) if (h[name] !== undefined) out[name] = h[name];
  return out;
}
