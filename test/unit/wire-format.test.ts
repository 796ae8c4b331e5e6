import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EnricherError } from '../../src/errors.ts';
import { decodeJson, decodePlainRaw, jsonPayload } from '../../src/kafka/serde.ts';
import { isWireFormat, readWireHeader, wireEncode } from '../../src/kafka/wire-format.ts';

describe('the Confluent wire format', () => {
  it('is magic byte 0, the schema id big-endian in 4 bytes, then the payload', () => {
    const bytes = wireEncode(0x01020304, Buffer.from('{"a":1}'));
    expect([...bytes.subarray(0, 5)]).toEqual([0, 1, 2, 3, 4]);
    expect(bytes.subarray(5).toString()).toBe('{"a":1}');
    expect(readWireHeader(bytes)).toEqual({ schemaId: 0x01020304, payload: Buffer.from('{"a":1}') });
  });

  it('keeps ids up to 2^32 - 1', () => {
    expect(readWireHeader(wireEncode(4_294_967_295, Buffer.alloc(0))).schemaId).toBe(4_294_967_295);
  });

  it('is told from JSON by the first byte', () => {
    expect(isWireFormat(wireEncode(7, Buffer.from('{}')))).toBe(true);
    expect(isWireFormat(Buffer.from('{"id":"x"}'))).toBe(false);
    expect(isWireFormat(Buffer.from(' {"id":"x"}'))).toBe(false);
    expect(isWireFormat(Buffer.alloc(0))).toBe(false);
  });

  it('says a header cut short is the message\'s fault, with its own code', () => {
    for (const n of [1, 2, 4]) {
      const err = (() => {
        try {
          readWireHeader(Buffer.alloc(n));
        } catch (e) {
          return e as EnricherError;
        }
        throw new Error('no error');
      })();
      expect(err).toBeInstanceOf(EnricherError);
      expect(err.code).toBe('WIRE_HEADER_TRUNCATED');
      expect(err.retriable).toBe(false);
      expect(err.scope).toBe('document');
      expect(err.message).toContain(`${n} bytes`);
    }
  });
});

describe('reading our own topics in either format', () => {
  const Contract = z.object({ n: z.number() });

  it('decodes plain JSON and the wire format with the same contract', () => {
    expect(decodeJson(Buffer.from('{"n":1}'), Contract)).toEqual({ n: 1 });
    expect(decodeJson(wireEncode(9, Buffer.from('{"n":2}')), Contract)).toEqual({ n: 2 });
    expect(jsonPayload(wireEncode(9, Buffer.from('{"n":3}'))).toString()).toBe('{"n":3}');
  });

  it('still fails a wire-format value that breaks the contract', () => {
    expect(() => decodeJson(wireEncode(9, Buffer.from('{"n":"x"}')), Contract)).toThrow(/fails its schema/);
    expect(() => decodeJson(Buffer.from([0, 0]), Contract)).toThrow(/shorter than its 5-byte header/);
  });
});

describe('documents.raw without a schema registry', () => {
  const Raw = z.object({ id: z.string() });

  it('takes plain JSON as before, and sends a wire-format message to the DLQ naming the missing setting', () => {
    expect(decodePlainRaw(Buffer.from('{"id":"a"}'), Raw)).toEqual({ id: 'a' });
    expect(() => decodePlainRaw(wireEncode(5, Buffer.from('{"id":"a"}')), Raw)).toThrow(/wire format \(schema id 5\), but SCHEMA_REGISTRY_URL is not set/);
    expect(() => decodePlainRaw(Buffer.from([0, 1]), Raw)).toThrow(/not valid JSON/);
  });
});
