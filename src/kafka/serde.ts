/**
 * JSON serialisation at the edge. Decoding never throws anything but EnricherError, so a bad
 * message always becomes a DLQ record with a reason instead of a crash.
 *
 * Values of our own topics are read with their zod contract whether they are plain JSON or in
 * the wire format (schema registry): we wrote them, so the contract is the writer's schema and
 * reading them needs no registry. documents.raw, written by others, is decoded with the
 * writer's schema from the registry (kafka/registry/).
 */
import type { z } from 'zod';
import { EnricherError, ErrorCodes, type Stage } from '../errors.ts';
import { isWireFormat, readWireHeader } from './wire-format.ts';

export function encodeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** Turns a value written to a topic into its bytes: plain JSON, or the wire format with a registry. */
export type ValueEncoder = (topic: string, value: unknown) => Buffer;

/** The encoder without a schema registry. */
export const plainJson: ValueEncoder = (_topic, value) => encodeJson(value);

/** The JSON text of one of our values, without the wire-format header when it has one. */
export function jsonPayload(bytes: Buffer, stage: Stage = 'decode'): Buffer {
  return isWireFormat(bytes) ? readWireHeader(bytes, stage).payload : bytes;
}

/** Validates a decoded value with a zod contract: a value that fails it is the message's fault. */
export function validateWith<T>(value: unknown, schema: z.ZodType<T>, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const detail = result.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new EnricherError(`${what} fails its schema: ${detail}`, { code: ErrorCodes.SCHEMA_INVALID, stage: 'validate', retriable: false });
  }
  return result.data;
}

/** Parses JSON text and validates it with a zod contract (the second half of every decode). */
export function parseAndValidate<T>(json: Buffer, schema: z.ZodType<T>, stage: Stage, what: string): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.toString('utf8'));
  } catch (e) {
    throw new EnricherError(`${what} is not valid JSON: ${(e as Error).message}`, {
      code: ErrorCodes.INVALID_JSON, stage, retriable: false,
    });
  }
  return validateWith(parsed, schema, what);
}

export function hasNoValue(bytes: Buffer | null): bytes is null {
  return bytes === null || bytes.length === 0;
}

export function noValueError(what: string, stage: Stage): EnricherError {
  return new EnricherError(`${what} has no value (tombstone or empty)`, { code: ErrorCodes.INVALID_JSON, stage, retriable: false });
}

/**
 * A raw document without a schema registry: plain JSON only. A wire-format message cannot be
 * checked against its writer's schema here, so it is not guessed at: it goes to the DLQ (and can
 * be redriven once SCHEMA_REGISTRY_URL is set).
 */
export function decodePlainRaw<T>(bytes: Buffer | null, schema: z.ZodType<T>): T {
  if (hasNoValue(bytes)) throw noValueError('raw document', 'decode');
  if (isWireFormat(bytes) && bytes.length >= 5) {
    throw new EnricherError(`raw document is in the schema registry's wire format (schema id ${bytes.readUInt32BE(1)}), but SCHEMA_REGISTRY_URL is not set`, {
      code: ErrorCodes.INVALID_JSON, stage: 'decode', retriable: false,
    });
  }
  return parseAndValidate(bytes, schema, 'decode', 'raw document');
}

/** Decodes one of our own values, plain JSON or wire format, with its contract. */
export function decodeJson<T>(bytes: Buffer | null, schema: z.ZodType<T>, stage: Stage = 'decode', what = 'message'): T {
  if (hasNoValue(bytes)) throw noValueError(what, stage);
  return parseAndValidate(jsonPayload(bytes, stage), schema, stage, what);
}

export function headerString(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  const v = headers?.[name];
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v.length ? headerString({ x: v[v.length - 1] }, 'x') : undefined;
  return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}
