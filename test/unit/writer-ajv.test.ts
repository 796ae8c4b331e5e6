/**
 * The Ajv the schema-registry library gets: writer schemas of draft-07 (ours, and zod's with
 * target draft-7) and of draft 2020-12 (zod 4's default, which the library's own Ajv refuses).
 */
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RawDocument } from '../../src/contracts/index.ts';
import { renderSchemas } from '../../src/contracts/json-schema.ts';
import { createWriterAjv, draftOf, UnsupportedSchemaError } from '../../src/kafka/registry/writer-ajv.ts';

const doc = { id: 'd1', content: 'text', ingested_at: '2026-11-30T10:00:00+01:00', extra: 'kept' };

describe('the writer-schema Ajv', () => {
  it('compiles every contract we register (draft-07) and checks values with it', () => {
    for (const [name, text] of Object.entries(renderSchemas())) {
      const schema = JSON.parse(text);
      expect(schema.$schema, name).toBe('http://json-schema.org/draft-07/schema#');
      expect(() => createWriterAjv().compile(schema), name).not.toThrow();
    }
    const validate = createWriterAjv().compile(JSON.parse(renderSchemas()['raw-document']));
    expect(validate(doc)).toBe(true);
    expect(validate({ id: 'd1' })).toBe(false);
    expect(validate({ ...doc, ingested_at: 'yesterday' })).toBe(false);
  });

  it('compiles a draft 2020-12 schema (zod 4\'s default), which the library\'s default Ajv refuses', () => {
    const schema = z.toJSONSchema(RawDocument);
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(() => new Ajv().compile(schema)).toThrow();
    const validate = createWriterAjv().compile(schema);
    expect(validate(doc)).toBe(true);
    expect(validate({ id: 'd1', content: 3 })).toBe(false);
  });

  it('checks the date-time format for schemas that use one', () => {
    const validate = createWriterAjv().compile({ type: 'object', properties: { at: { type: 'string', format: 'date-time' } } });
    expect(validate({ at: '2026-11-30T10:00:00Z' })).toBe(true);
    expect(validate({ at: '2026-13-30T10:00:00Z' })).toBe(false);
  });

  it('compiles two versions that share an $id (one Ajv would refuse the second)', () => {
    const ajv = createWriterAjv();
    const v1 = { $id: 'https://x/e.json', type: 'object', properties: { a: { type: 'string' } } };
    const v2 = { ...v1, properties: { a: { type: 'string' }, b: { type: 'number' } } };
    expect(ajv.compile(v1)({ a: 'x' })).toBe(true);
    expect(ajv.compile(v2)({ a: 'x', b: 'not a number' })).toBe(false);
  });

  it('takes a schema without $schema as draft-07 and refuses a draft it cannot read', () => {
    expect(draftOf({ type: 'object' })).toBe('07');
    expect(draftOf({ $schema: 'https://json-schema.org/draft/2020-12/schema' })).toBe('2020-12');
    expect(() => draftOf({ $schema: 'http://json-schema.org/draft-04/schema#' })).toThrow(UnsupportedSchemaError);
    expect(() => createWriterAjv().compile({ type: 'object', properties: { a: { $ref: '#/nowhere' } } })).toThrow(UnsupportedSchemaError);
  });

  it('hands references added before a compile to that compile only', () => {
    const ajv = createWriterAjv();
    ajv.addSchema({ $id: 'https://x/name.json', type: 'string', minLength: 2 }, 'https://x/name.json');
    const validate = ajv.compile({ type: 'object', properties: { name: { $ref: 'https://x/name.json' } } });
    expect(validate({ name: 'ab' })).toBe(true);
    expect(validate({ name: 'a' })).toBe(false);
    expect(() => ajv.compile({ type: 'object', properties: { name: { $ref: 'https://x/name.json' } } })).toThrow(UnsupportedSchemaError);
  });
});
