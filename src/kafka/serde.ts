/**
 * JSON serialisation at the edge. Decoding never throws anything but EnricherError, so a bad
 * message always becomes a DLQ record with a reason instead of a crash.
 */
import type { z } from 'zod';
import { EnricherError, ErrorCodes, type Stage } from '../errors.ts';

export function encodeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

export function decodeJson<T>(bytes: Buffer | null, schema: z.ZodType<T>, stage: Stage = 'decode', what = 'message'): T {
  if (bytes === null || bytes.length === 0) {
    throw new EnricherError(`${what} has no value (tombstone or empty)`, { code: ErrorCodes.INVALID_JSON, stage, retriable: false });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new EnricherError(`${what} is not valid JSON: ${(e as Error).message}`, {
      code: ErrorCodes.INVALID_JSON, stage, retriable: false,
    });
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    const detail = result.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new EnricherError(`${what} fails its schema: ${detail}`, { code: ErrorCodes.SCHEMA_INVALID, stage: 'validate', retriable: false });
  }
  return result.data;
}

export function headerString(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  const v = headers?.[name];
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v.length ? headerString({ x: v[v.length - 1] }, 'x') : undefined;
  return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}
