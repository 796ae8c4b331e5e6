/**
 * Builders for every message this service writes. Keys are the document id (the original key
 * on the DLQ); headers are strings; values are encoded by `encode` (plain JSON, or the wire
 * format with its subject's id when a schema registry is configured). Nothing here talks to
 * Kafka: the committer sends them.
 */
import type { IHeaders } from 'kafkajs';
import { Headers, type EnrichedDocument, type RetryEnvelope, type ReviewItem } from '../contracts/index.ts';
import { normalizeHeaders, type OutgoingMessage, type SourceRecord } from '../kafka/records.ts';
import { plainJson, type ValueEncoder } from '../kafka/serde.ts';

export interface FailureInfo {
  code: string;
  message: string;
  stage: string;
  attempts: number;
}

// Header values must stay small: a 10 MB error message must not make the DLQ write fail.
const MAX_HEADER_CHARS = 2000;
const clip = (s: string) => (s.length > MAX_HEADER_CHARS ? `${s.slice(0, MAX_HEADER_CHARS)}…` : s);

/** The reason headers of a failure: a redriven or retried document must not carry old ones on. */
const ERROR_HEADERS = [
  Headers.errorCode, Headers.errorMessage, Headers.errorStage, Headers.errorAttempts, Headers.originalTopic,
  Headers.originalPartition, Headers.originalOffset, Headers.originalTimestamp, Headers.failedAt, Headers.route,
];

const passthroughHeaders = (h: IHeaders, drop: readonly string[]) => normalizeHeaders(h, drop);

export function enrichedMessage(topic: string, doc: EnrichedDocument, headers: IHeaders, encode: ValueEncoder = plainJson): OutgoingMessage {
  return { topic, key: doc.document_id, value: encode(topic, doc), headers: { ...passthroughHeaders(headers, ERROR_HEADERS), [Headers.route]: 'enriched' } };
}

export function reviewMessage(topic: string, item: ReviewItem, headers: IHeaders, encode: ValueEncoder = plainJson): OutgoingMessage {
  return {
    topic,
    key: item.document_id,
    value: encode(topic, item),
    headers: { ...passthroughHeaders(headers, ERROR_HEADERS), [Headers.route]: 'review' },
  };
}

export function retryMessage(topic: string, envelope: RetryEnvelope, headers: IHeaders, encode: ValueEncoder = plainJson): OutgoingMessage {
  return {
    topic,
    key: envelope.document.id,
    value: encode(topic, envelope),
    headers: {
      ...passthroughHeaders(headers, ERROR_HEADERS),
      [Headers.errorCode]: envelope.last_error.code,
      [Headers.route]: 'retry',
      [Headers.dueAt]: String(Date.parse(envelope.due_at)),
    },
  };
}

/**
 * The DLQ record: original key and bytes untouched, original headers kept, and the reason.
 * `origin` is where the document first entered (for a retried one, its raw message).
 */
export function dlqMessage(
  topic: string,
  record: Pick<SourceRecord, 'key' | 'value' | 'headers'>,
  origin: Pick<SourceRecord, 'topic' | 'partition' | 'offset' | 'timestamp'>,
  failure: FailureInfo,
  now = new Date(),
): OutgoingMessage {
  return {
    topic,
    key: record.key,
    value: record.value,
    headers: {
      ...passthroughHeaders(record.headers, ERROR_HEADERS),
      [Headers.errorCode]: failure.code,
      [Headers.errorMessage]: clip(failure.message),
      [Headers.errorStage]: failure.stage,
      [Headers.errorAttempts]: String(failure.attempts),
      [Headers.originalTopic]: origin.topic,
      [Headers.originalPartition]: String(origin.partition),
      [Headers.originalOffset]: origin.offset,
      [Headers.originalTimestamp]: origin.timestamp,
      [Headers.failedAt]: now.toISOString(),
      [Headers.route]: 'dlq',
    },
  };
}
