import { describe, expect, it } from 'vitest';
import { Headers, type EnrichedDocument, type RetryEnvelope, type ReviewItem } from '../../src/contracts/index.ts';
import { dlqMessage, enrichedMessage, retryMessage, reviewMessage } from '../../src/pipeline/messages.ts';

const enriched: EnrichedDocument = {
  document_id: 'doc-42',
  title: 'T',
  original_content: 'content',
  entities: { people: ['Ada'], organizations: [], dates: [], topics: ['math'] },
  summary: 'A summary.',
  classification: { category: 'science', confidence: 0.9, scores: { science: 0.9, other: 0.1 } },
  usage: { calls: 3, cached_calls: 0, input_tokens: 10, output_tokens: 5, cost_usd: 0.001 },
  model: 'gpt-4o-mini',
  provider: 'offline',
  offline: true,
  partial: false,
  prompt_version: 'v1',
  enriched_at: '2026-01-01T00:00:00.000Z',
};

const envelope: RetryEnvelope = {
  document: { id: 'doc-7', content: 'text' },
  progress: {},
  attempt: 2,
  first_failed_at: '2026-01-01T00:00:00.000Z',
  due_at: '2026-01-01T00:00:10.000Z',
  last_error: { code: 'LLM_RATE_LIMITED', message: '429', stage: 'summarize' },
  original: { topic: 'documents.raw', partition: 1, offset: '17', timestamp: '1767225600000' },
};

const origin = { topic: 'documents.raw', partition: 2, offset: '9007199254740993', timestamp: '1767225600000' };
const failure = { code: 'SCHEMA_INVALID', message: 'content must not be empty', stage: 'validate', attempts: 1 };

describe('dlqMessage', () => {
  const key = Buffer.from([0x00, 0xff, 0x10, 0x80]);
  const value = Buffer.from([0xc3, 0x28, 0x7b, 0x00, 0xfe]); // not valid UTF-8 on purpose
  const trace = Buffer.from('00-abc-def-01');

  it('keeps the original key and value bytes untouched', () => {
    const m = dlqMessage('documents.dlq', { key, value, headers: {} }, origin, failure);
    expect(m.topic).toBe('documents.dlq');
    expect(Buffer.isBuffer(m.key)).toBe(true);
    expect((m.key as Buffer).equals(key)).toBe(true);
    expect(m.value!.equals(value)).toBe(true);
  });

  it('keeps null key and value as null', () => {
    const m = dlqMessage('dlq', { key: null, value: null, headers: {} }, origin, failure);
    expect(m.key).toBeNull();
    expect(m.value).toBeNull();
  });

  it('keeps foreign headers with their bytes', () => {
    const m = dlqMessage('dlq', { key, value, headers: { traceparent: trace, 'x-run-id': 'run-1', 'x-redrive-count': '2' } }, origin, failure);
    expect(Buffer.isBuffer(m.headers.traceparent)).toBe(true);
    expect((m.headers.traceparent as Buffer).equals(trace)).toBe(true);
    expect(m.headers[Headers.runId]).toBe('run-1');
    expect(m.headers[Headers.redriveCount]).toBe('2');
  });

  it('adds every error header as a string', () => {
    const now = new Date('2026-02-03T04:05:06.789Z');
    const m = dlqMessage('dlq', { key, value, headers: {} }, origin, { ...failure, attempts: 4 }, now);
    expect(m.headers).toEqual({
      [Headers.errorCode]: 'SCHEMA_INVALID',
      [Headers.errorMessage]: 'content must not be empty',
      [Headers.errorStage]: 'validate',
      [Headers.errorAttempts]: '4',
      [Headers.originalTopic]: 'documents.raw',
      [Headers.originalPartition]: '2',
      [Headers.originalOffset]: '9007199254740993',
      [Headers.originalTimestamp]: '1767225600000',
      [Headers.failedAt]: '2026-02-03T04:05:06.789Z',
      [Headers.route]: 'dlq',
    });
  });

  it('replaces, never stacks, the error headers of an earlier trip', () => {
    const old = {
      [Headers.errorCode]: Buffer.from('LLM_TIMEOUT'),
      [Headers.errorMessage]: 'old message',
      [Headers.errorStage]: 'extract',
      [Headers.errorAttempts]: '4',
      [Headers.originalTopic]: 'documents.retry.40s',
      [Headers.originalPartition]: '0',
      [Headers.originalOffset]: '1',
      [Headers.originalTimestamp]: '1',
      [Headers.failedAt]: '2020-01-01T00:00:00.000Z',
      [Headers.route]: 'retry',
      traceparent: trace,
    };
    const m = dlqMessage('dlq', { key, value, headers: old }, origin, failure, new Date('2026-02-03T00:00:00.000Z'));
    expect(m.headers[Headers.errorCode]).toBe('SCHEMA_INVALID');
    expect(m.headers[Headers.errorMessage]).toBe('content must not be empty');
    expect(m.headers[Headers.errorStage]).toBe('validate');
    expect(m.headers[Headers.errorAttempts]).toBe('1');
    expect(m.headers[Headers.originalTopic]).toBe('documents.raw');
    expect(m.headers[Headers.originalOffset]).toBe('9007199254740993');
    expect(m.headers[Headers.failedAt]).toBe('2026-02-03T00:00:00.000Z');
    expect(m.headers[Headers.route]).toBe('dlq');
    for (const v of Object.values(m.headers)) expect(Array.isArray(v)).toBe(false);
    expect(Object.keys(m.headers).sort()).toEqual([...Object.keys(old)].sort());
  });

  it('drops undefined header values', () => {
    const m = dlqMessage('dlq', { key, value, headers: { gone: undefined, kept: 'x' } }, origin, failure);
    expect('gone' in m.headers).toBe(false);
    expect(m.headers.kept).toBe('x');
  });

  it('clips a huge error message so the header stays small', () => {
    const huge = 'x'.repeat(10 * 1024 * 1024);
    const m = dlqMessage('dlq', { key, value, headers: {} }, origin, { ...failure, message: huge });
    const h = m.headers[Headers.errorMessage] as string;
    expect(h.length).toBeLessThanOrEqual(2001);
    expect(h.startsWith('x'.repeat(2000))).toBe(true);
    expect(h.endsWith('…')).toBe(true);
  });

  it('does not clip a message at the limit', () => {
    const exact = 'y'.repeat(2000);
    expect(dlqMessage('dlq', { key, value, headers: {} }, origin, { ...failure, message: exact }).headers[Headers.errorMessage]).toBe(exact);
  });

  it('does not mutate the source headers', () => {
    const headers = { [Headers.errorCode]: 'OLD', a: 'b' };
    dlqMessage('dlq', { key, value, headers }, origin, failure);
    expect(headers).toEqual({ [Headers.errorCode]: 'OLD', a: 'b' });
  });
});

describe('retryMessage', () => {
  it('is keyed by the document id and carries the envelope as JSON', () => {
    const m = retryMessage('documents.retry.10s', envelope, {});
    expect(m.topic).toBe('documents.retry.10s');
    expect(m.key).toBe('doc-7');
    expect(JSON.parse(m.value!.toString('utf8'))).toEqual(envelope);
  });

  it('sets x-due-at to due_at in epoch milliseconds, plus the error code and route', () => {
    const m = retryMessage('documents.retry.10s', envelope, {});
    expect(m.headers[Headers.dueAt]).toBe(String(Date.parse('2026-01-01T00:00:10.000Z')));
    expect(m.headers[Headers.dueAt]).toBe('1767225610000');
    expect(m.headers[Headers.errorCode]).toBe('LLM_RATE_LIMITED');
    expect(m.headers[Headers.route]).toBe('retry');
  });

  it('replaces the previous tier\'s due-at and error code, keeping foreign headers', () => {
    const m = retryMessage(
      'documents.retry.20s',
      { ...envelope, attempt: 3, due_at: '2026-01-01T00:01:00.000Z', last_error: { code: 'LLM_TIMEOUT', message: 't', stage: 'classify' } },
      { [Headers.dueAt]: '1', [Headers.errorCode]: 'LLM_RATE_LIMITED', [Headers.route]: 'retry', traceparent: 'tp', [Headers.runId]: 'r1' },
    );
    expect(m.headers[Headers.dueAt]).toBe('1767225660000');
    expect(m.headers[Headers.errorCode]).toBe('LLM_TIMEOUT');
    expect(m.headers.traceparent).toBe('tp');
    expect(m.headers[Headers.runId]).toBe('r1');
  });
});

describe('enrichedMessage and reviewMessage', () => {
  it('keys an enriched document by its id, with the route header and foreign headers kept', () => {
    const m = enrichedMessage('documents.enriched', enriched, { traceparent: 'tp', [Headers.route]: 'retry' });
    expect(m.topic).toBe('documents.enriched');
    expect(m.key).toBe('doc-42');
    expect(JSON.parse(m.value!.toString('utf8'))).toEqual(enriched);
    expect(m.headers[Headers.route]).toBe('enriched');
    expect(m.headers.traceparent).toBe('tp');
  });

  it('keys a review item by its document id', () => {
    const item: ReviewItem = {
      ...enriched,
      review_reasons: [{ code: 'LOW_CONFIDENCE', message: 'low' }],
      threshold: 0.8,
    };
    const m = reviewMessage('documents.review', item, {});
    expect(m.topic).toBe('documents.review');
    expect(m.key).toBe('doc-42');
    expect(JSON.parse(m.value!.toString('utf8'))).toEqual(item);
    expect(m.headers[Headers.route]).toBe('review');
  });
});
