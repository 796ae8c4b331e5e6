/**
 * The Ajv the schema-registry library compiles writer schemas with. The library's default is
 * one draft-07 Ajv; producers of documents.raw may register draft-07 or draft 2020-12 (zod 4's
 * default), so each schema is compiled by a fresh Ajv of its own draft. Fresh, because two
 * versions of one contract share their `$id`, and one Ajv refuses a second schema with an `$id`
 * it already holds. A schema is compiled once per id (the library caches it), so this is cheap.
 */
import { Ajv, type AnySchema, type Options, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';

// RFC 3339 date-time and full-date: the formats zod writes. Other formats a producer uses are
// not checked here (strict: false); our zod contract checks what we read anyway.
const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const DATE_TIME = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt ]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

const OPTIONS: Options = {
  strict: false,
  allErrors: false,
  logger: false,
  formats: {
    date: (s: string) => DATE.test(s) && !Number.isNaN(Date.parse(s)),
    'date-time': (s: string) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)),
  },
};

const DRAFT_2020 = /json-schema\.org\/draft\/2020-12\/schema/;
const DRAFT_07 = /json-schema\.org\/draft-07\/schema/;

export class UnsupportedSchemaError extends Error {
  override name = 'UnsupportedSchemaError';
}

/** draft-07 when a schema names no draft (the registries' own default for JSON Schema). */
export function draftOf(schema: unknown): '2020-12' | '07' {
  const s = typeof schema === 'object' && schema !== null ? (schema as { $schema?: unknown }).$schema : undefined;
  if (s === undefined) return '07';
  if (typeof s === 'string' && DRAFT_2020.test(s)) return '2020-12';
  if (typeof s === 'string' && DRAFT_07.test(s)) return '07';
  throw new UnsupportedSchemaError(`JSON Schema ${String(s)} is not supported (draft-07 and 2020-12 are)`);
}

/** The object the library calls as `ajvInstance`: addSchema for references, then compile. */
export function createWriterAjv(): { addSchema(schema: AnySchema, key?: string): unknown; compile(schema: AnySchema): ValidateFunction } {
  let references: { schema: AnySchema; key: string | undefined }[] = [];
  return {
    addSchema(schema, key) {
      references.push({ schema, key });
      return this;
    },
    compile(schema) {
      const ajv = draftOf(schema) === '2020-12' ? new Ajv2020(OPTIONS) : new Ajv(OPTIONS);
      for (const r of references) ajv.addSchema(r.schema, r.key);
      references = [];
      try {
        return ajv.compile(schema);
      } catch (e) {
        throw new UnsupportedSchemaError(`the schema does not compile: ${(e as Error).message}`);
      }
    },
  };
}
