/**
 * A raw message whose writer's schema cannot be had now waits (service-error), one the registry
 * says is bad goes to the DLQ with its bytes; a registry outage pauses raw intake under its own
 * reason and resumes when its probe passes, while the LLM API's errors keep their own guard.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { EnricherError, ErrorCodes } from '../../src/errors.ts';
import { createIntakeControl } from '../../src/guards/intake-control.ts';
import { createProcessorGuards } from '../../src/processes/processor-guards.ts';
import type { KafkaClient } from '../../src/kafka/client.ts';
import type { RegistrySerde } from '../../src/kafka/registry/schema-registry.ts';
import { plainJson } from '../../src/kafka/serde.ts';
import { registryUnavailable, writerSchemaError } from '../../src/kafka/registry/registry-errors.ts';
import { wireEncode } from '../../src/kafka/wire-format.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { createDocumentHandler } from '../../src/pipeline/document-handler.ts';
import { createRuntimeSettings } from '../../src/settings/runtime-settings.ts';
import { sleep } from '../support/time.ts';

const config = loadConfig({});
const record = (value: Buffer) => ({ topic: 'documents.raw', partition: 0, offset: '41', timestamp: '1767225600000', key: Buffer.from('doc-1'), value, headers: {} });

function handlerWith(decodeRaw: (b: Buffer | null) => Promise<never>) {
  const chain = vi.fn();
  const handler = createDocumentHandler({
    config, chain, settings: createRuntimeSettings({ qualityThreshold: 0.8, dailyBudgetUsd: undefined }), provider: 'offline',
    promptVersion: 'v', logger: silentLogger(), metrics: createMetrics(), decodeRaw,
  });
  return { handler, chain };
}

describe('the document handler with a schema registry', () => {
  it('holds a document whose writer\'s schema the registry cannot give now: no route, no LLM call', async () => {
    const { handler, chain } = handlerWith(async () => {
      throw registryUnavailable('connect ECONNREFUSED 127.0.0.1:18081');
    });
    const result = await handler.handleRaw(record(wireEncode(3, Buffer.from('{"id":"doc-1","content":"x"}'))));
    expect(result.kind).toBe('service-error');
    expect(result.kind === 'service-error' && result.error.code).toBe('REGISTRY_UNAVAILABLE');
    expect(result.kind === 'service-error' && result.documentId).toBe('doc-1');
    expect(chain).not.toHaveBeenCalled();
  });

  it('dead-letters a message whose schema id the registry does not know, with its bytes and the id', async () => {
    const bytes = wireEncode(4040, Buffer.from('{"id":"doc-1","content":"x"}'));
    const { handler } = handlerWith(async () => {
      throw writerSchemaError(4040, Object.assign(new Error('llm-enricher - Schema 4040 not found'), { status: 404 }));
    });
    const result = await handler.handleRaw(record(bytes));
    expect(result.kind === 'done' && result.route).toBe('dlq');
    const m = result.kind === 'done' ? result.messages[0]! : undefined;
    expect(m?.value?.equals(bytes)).toBe(true);
    expect(m?.headers['x-error-code']).toBe('SCHEMA_ID_UNKNOWN');
    expect(String(m?.headers['x-error-message'])).toContain('4040');
  });
});

describe('the DLQ records we write ourselves', () => {
  it('carry the retried document encoded for the DLQ\'s subject (the wire format with a registry)', async () => {
    const refused = new EnricherError('refused', { code: ErrorCodes.LLM_REFUSED, stage: 'summarize', retriable: false });
    const encode = vi.fn((topic: string, value: unknown) => wireEncode(topic === config.topics.dlq ? 21 : 0, Buffer.from(JSON.stringify(value))));
    const handler = createDocumentHandler({
      config, chain: async () => ({ ok: false, error: refused, progress: {} }), settings: createRuntimeSettings({ qualityThreshold: 0.8, dailyBudgetUsd: undefined }),
      provider: 'offline', promptVersion: 'v', logger: silentLogger(), metrics: createMetrics(), encode,
    });
    const envelope = {
      document: { id: 'doc-9', content: 'text', extra: 'kept' }, progress: {}, attempt: 2, first_failed_at: '2026-01-01T00:00:00.000Z',
      due_at: '2026-01-01T00:00:10.000Z', last_error: { code: 'LLM_TIMEOUT', message: 't', stage: 'summarize' },
      original: { topic: 'documents.raw', partition: 0, offset: '5', timestamp: '1767225600000' },
    };
    const result = await handler.handleRetry({ ...record(wireEncode(8, Buffer.from(JSON.stringify(envelope)))), topic: 'documents.retry.10s' });
    expect(result.kind === 'done' && result.route).toBe('dlq');
    const value = result.kind === 'done' ? result.messages[0]!.value! : Buffer.alloc(0);
    expect(value.readUInt32BE(1)).toBe(21);
    expect(JSON.parse(value.subarray(5).toString())).toEqual(envelope.document);
    expect(encode).toHaveBeenCalledWith(config.topics.dlq, envelope.document);
  });
});

describe('an output that fails its own registered schema', () => {
  it('sends the document to the DLQ with the reason instead of stalling its partition', async () => {
    const timeout = new EnricherError('timeout', { code: ErrorCodes.LLM_TIMEOUT, stage: 'extract', retriable: true });
    const handler = createDocumentHandler({
      config, chain: async () => ({ ok: false, error: timeout, progress: {} }), settings: createRuntimeSettings({ qualityThreshold: 0.8, dailyBudgetUsd: undefined }),
      provider: 'offline', promptVersion: 'v', logger: silentLogger(), metrics: createMetrics(),
      encode: (topic) => {
        throw new EnricherError(`a value for ${topic}-value fails its own registered schema`, { code: ErrorCodes.OUTPUT_SCHEMA_INVALID, stage: 'validate', retriable: false });
      },
    });
    const bytes = Buffer.from('{"id":"doc-1","content":"text"}');
    const result = await handler.handleRaw(record(bytes));
    expect(result.kind === 'done' && result.route).toBe('dlq');
    const m = result.kind === 'done' ? result.messages[0]! : undefined;
    expect(m?.headers['x-error-code']).toBe('OUTPUT_SCHEMA_INVALID');
    expect(String(m?.headers['x-error-message'])).toContain('documents.retry.10s-value');
    expect(m?.value?.equals(bytes)).toBe(true);
  });
});

describe('the registry guard', () => {
  let stop: (() => void) | undefined;
  afterEach(() => stop?.());

  it('pauses raw intake for the registry only, probes, and resumes every waiting document when it answers', async () => {
    const intake = createIntakeControl();
    let up = false;
    const verify = vi.fn(async () => {
      if (!up) throw registryUnavailable('still down');
    });
    // The processor's own wiring (processes/processor-guards.ts): the service guard hands a
    // REGISTRY_UNAVAILABLE to the registry's guard, anything else to the LLM API's probe.
    const probe = vi.fn(async () => undefined);
    const guards = createProcessorGuards({
      config: loadConfig({ SERVICE_PROBE_INTERVAL: '20ms' }), logger: silentLogger(), metrics: createMetrics(), kafka: {} as KafkaClient, intake,
      provider: { name: 'offline', model: 'm', tokenProbabilities: false, complete: vi.fn(), probe }, redis: undefined,
      registry: { verify, url: 'http://r' } as unknown as RegistrySerde, encode: plainJson,
    });
    const guard = guards.service;
    stop = () => guards.release();
    const waiting = [guard.waitOutServiceError(registryUnavailable('down'), 'a'), guard.waitOutServiceError(registryUnavailable('down'), 'b')];
    expect(intake.reasons()).toEqual(['registry']);
    expect(intake.isPaused(['budget', 'service-error'])).toBe(false); // the retry consumer goes on
    await sleep(100);
    expect(verify.mock.calls.length).toBeGreaterThan(1);
    up = true;
    await Promise.all(waiting);
    expect(intake.reasons()).toEqual([]);
    expect(probe).not.toHaveBeenCalled();

    const auth = new EnricherError('401', { code: ErrorCodes.LLM_AUTH, stage: 'extract', retriable: false, scope: 'service' });
    await guard.waitOutServiceError(auth, 'c');
    expect(probe).toHaveBeenCalled(); // the LLM API's guard probed the provider
  });
});
