/**
 * What a failure to get or use a writer's schema means for the document. Only a definite answer
 * about the message condemns it (the id is unknown, its schema is unusable, its payload fails
 * that schema); anything that says the registry cannot answer us now (no connection, 5xx,
 * 401/403, a timeout) is the service's problem: the document waits and is never dead-lettered.
 */
import { EnricherError, ErrorCodes } from '../../errors.ts';
import { registryReason, statusOf } from './registration.ts';
import { UnsupportedSchemaError } from './writer-ajv.ts';

export function registryUnavailable(detail: string, cause?: unknown): EnricherError {
  return new EnricherError(`schema registry unavailable: ${detail}`, {
    code: ErrorCodes.REGISTRY_UNAVAILABLE, stage: 'decode', retriable: true, scope: 'service', cause,
  });
}

/** An error from fetching (and building) the writer's schema of `schemaId`. */
export function writerSchemaError(schemaId: number, e: unknown): EnricherError {
  if (e instanceof EnricherError) return e;
  const status = statusOf(e);
  if (status === 404) {
    return new EnricherError(`schema id ${schemaId} is unknown to the schema registry (404: ${registryReason(e)})`, {
      code: ErrorCodes.SCHEMA_ID_UNKNOWN, stage: 'decode', retriable: false, cause: e,
    });
  }
  // The library's HTTP client reports a refused or broken connection as status 400 without a
  // registry message; a registry's own 400 is as much a service problem: neither is the document's.
  if (status !== undefined) return registryUnavailable(`fetching schema id ${schemaId}: HTTP ${status}: ${registryReason(e)}`, e);
  const why = e instanceof UnsupportedSchemaError ? e.message : `its schema cannot be used: ${(e as Error)?.message ?? String(e)}`;
  return new EnricherError(`schema id ${schemaId}: ${why}`, { code: ErrorCodes.WRITER_SCHEMA_UNSUPPORTED, stage: 'decode', retriable: false, cause: e });
}

/** The payload failed its writer's schema (the library's validation error carries the paths). */
export function payloadError(schemaId: number, e: unknown): EnricherError {
  if (e instanceof SyntaxError) {
    return new EnricherError(`wire-format payload (schema id ${schemaId}) is not valid JSON: ${e.message}`, {
      code: ErrorCodes.INVALID_JSON, stage: 'decode', retriable: false,
    });
  }
  const paths = (e as { paths?: unknown }).paths;
  const detail = Array.isArray(paths) && paths.length
    ? paths
        .slice(0, 5)
        .map((p: unknown) => {
          const x = p as { path?: string[]; message?: string } | string[];
          return Array.isArray(x) ? `${x.join('') || '(root)'}` : `${x.path?.join('') || '(root)'}: ${x.message ?? 'invalid'}`;
        })
        .join('; ')
    : (e as Error).message;
  return new EnricherError(`payload fails its writer's schema (schema id ${schemaId}): ${detail}`, {
    code: ErrorCodes.SCHEMA_PAYLOAD_INVALID, stage: 'validate', retriable: false,
  });
}
