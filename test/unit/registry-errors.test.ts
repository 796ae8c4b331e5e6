/** Which registry failures condemn a document (the DLQ) and which only make it wait. */
import { describe, expect, it } from 'vitest';
import { ConfluentSchemaRegistryValidationError } from '@kafkajs/confluent-schema-registry/dist/errors.js';
import { payloadError, writerSchemaError } from '../../src/kafka/registry/registry-errors.ts';
import { registryReason } from '../../src/kafka/registry/registration.ts';
import { UnsupportedSchemaError } from '../../src/kafka/registry/writer-ajv.ts';
import { routeFailure } from '../../src/pipeline/failure-routing.ts';

/** What the library's HTTP client throws: a message prefixed with its client id, and a status. */
const httpError = (status: number, message: string) => Object.assign(new Error(`llm-enricher - ${message}`), { status });
const policy = { delaysMs: [10_000, 20_000, 40_000], maxDelayMs: 120_000 };

describe('writer schema errors', () => {
  it('a 404 is the document\'s: the id is unknown, named in the message, dead-lettered', () => {
    const e = writerSchemaError(77, httpError(404, 'Schema 77 not found.'));
    expect(e.code).toBe('SCHEMA_ID_UNKNOWN');
    expect(e.message).toContain('schema id 77');
    expect(e.message).toContain('Schema 77 not found.');
    expect(routeFailure(e, 1, policy)).toEqual({ action: 'dlq', reason: 'permanent' });
  });

  it('no connection, a 5xx, a timeout or our credentials refused: the service\'s, the document waits', () => {
    for (const [status, message] of [[400, 'Error, status 400: connect ECONNREFUSED 127.0.0.1:18081'], [503, 'unavailable'], [500, 'boom'], [401, 'Unauthorized'], [403, 'Forbidden'], [408, 'timeout']] as const) {
      const e = writerSchemaError(5, httpError(status, message));
      expect(e.code, String(status)).toBe('REGISTRY_UNAVAILABLE');
      expect(e.scope).toBe('service');
      expect(routeFailure(e, 1, policy)).toEqual({ action: 'pause-service' });
    }
  });

  it('a schema we cannot read (draft-04, Avro, does not compile) is the document\'s, with its own code', () => {
    const e = writerSchemaError(9, new UnsupportedSchemaError('JSON Schema draft-04 is not supported'));
    expect(e.code).toBe('WRITER_SCHEMA_UNSUPPORTED');
    expect(e.message).toContain('schema id 9');
    expect(e.retriable).toBe(false);
  });
});

describe('payload errors', () => {
  it('a payload failing its writer\'s schema names the id and the paths', () => {
    const e = payloadError(12, new ConfluentSchemaRegistryValidationError('invalid payload', [{ path: ['/content'], message: 'must be string' }] as never));
    expect(e.code).toBe('SCHEMA_PAYLOAD_INVALID');
    expect(e.message).toBe("payload fails its writer's schema (schema id 12): /content: must be string");
  });

  it('a payload that is not JSON at all is INVALID_JSON, still naming the id', () => {
    const e = payloadError(12, new SyntaxError('Unexpected token'));
    expect(e.code).toBe('INVALID_JSON');
    expect(e.message).toContain('schema id 12');
  });
});

describe('registryReason', () => {
  it('keeps the registry\'s words without the client id', () => {
    expect(registryReason(httpError(409, 'Incompatible artifact: x-value'))).toBe('Incompatible artifact: x-value');
  });
});
