/**
 * The one error model. Every failure that can reach routing is an EnricherError with a
 * stable code, the stage it came from, and whether trying again can help.
 *
 * `scope` separates a document's own fault from the service's: an invalid API key is not
 * the document's fault, so it must pause the service instead of dead-lettering every message.
 */
/** Where a failure happened: reading a message, or a chain step, by its name (extract, summarize, classify, …). */
export type Stage = 'decode' | 'validate' | 'retry' | 'config' | (string & {});

export type ErrorScope = 'document' | 'service';

export const ErrorCodes = {
  INVALID_JSON: 'INVALID_JSON',
  SCHEMA_INVALID: 'SCHEMA_INVALID',
  DOCUMENT_TOO_LARGE: 'DOCUMENT_TOO_LARGE',
  LLM_RATE_LIMITED: 'LLM_RATE_LIMITED',
  LLM_SERVER_ERROR: 'LLM_SERVER_ERROR',
  LLM_TIMEOUT: 'LLM_TIMEOUT',
  LLM_CONNECTION: 'LLM_CONNECTION',
  LLM_CONFLICT: 'LLM_CONFLICT',
  LLM_BAD_OUTPUT: 'LLM_BAD_OUTPUT',
  LLM_BAD_REQUEST: 'LLM_BAD_REQUEST',
  LLM_REFUSED: 'LLM_REFUSED',
  LLM_AUTH: 'LLM_AUTH',
  LLM_UNKNOWN_MODEL: 'LLM_UNKNOWN_MODEL',
  KAFKA_UNAVAILABLE: 'KAFKA_UNAVAILABLE',
  /** The shared pool's Redis is away (REDIS_OUTAGE=pause): the document waits, never routed. */
  REDIS_UNAVAILABLE: 'REDIS_UNAVAILABLE',
  /** The DLQ storm guard stopped intake: the document waits instead of being dead-lettered. Never routed. */
  DLQ_STORM: 'DLQ_STORM',
  /** A wire-format message (magic byte 0) shorter than its 5-byte header. */
  WIRE_HEADER_TRUNCATED: 'WIRE_HEADER_TRUNCATED',
  /** The schema registry does not know the message's schema id (it answered 404). */
  SCHEMA_ID_UNKNOWN: 'SCHEMA_ID_UNKNOWN',
  /** The payload fails the schema its own header names (its writer's schema). */
  SCHEMA_PAYLOAD_INVALID: 'SCHEMA_PAYLOAD_INVALID',
  /** The writer's schema is not a JSON Schema this service can read (Avro, Protobuf, an unknown draft). */
  WRITER_SCHEMA_UNSUPPORTED: 'WRITER_SCHEMA_UNSUPPORTED',
  /** A value we write fails its own registered schema (our bug): the DLQ keeps the document. */
  OUTPUT_SCHEMA_INVALID: 'OUTPUT_SCHEMA_INVALID',
  /** The schema registry cannot be reached or refuses us: the document waits, never routed. */
  REGISTRY_UNAVAILABLE: 'REGISTRY_UNAVAILABLE',
  /** The connection's settings are wrong (see SetupError): the broker refused the login, or the TLS handshake failed. */
  KAFKA_AUTHENTICATION: 'KAFKA_AUTHENTICATION',
  KAFKA_TLS: 'KAFKA_TLS',
  /** An ACL is missing: the broker refused an operation on a topic, group, transactional id or the cluster. */
  KAFKA_NOT_AUTHORIZED: 'KAFKA_NOT_AUTHORIZED',
  REDIS_AUTHENTICATION: 'REDIS_AUTHENTICATION',
  REDIS_TLS: 'REDIS_TLS',
  INTERNAL: 'INTERNAL',
  /** The document's partition was taken from this instance: no new call is started. Never routed. */
  ABANDONED: 'ABANDONED',
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export interface EnricherErrorOptions {
  code: ErrorCode;
  stage: Stage;
  retriable: boolean;
  scope?: ErrorScope;
  /** Milliseconds the server asked us to wait (Retry-After, retry-after-ms), when it said so. */
  retryAfterMs?: number;
  /**
   * The API refused this call alone (a 429 whose headers say the budget is left): the call may
   * come back after retryAfterMs without its pool slot meanwhile, and the pool is not held.
   */
  backOffAlone?: boolean;
  status?: number;
  /** What the failed operation was billed: its calls were paid for even though it failed. */
  billed?: BilledUsage;
  cause?: unknown;
}

export interface BilledUsage {
  calls: number;
  /** Steps answered from the result cache (no call at all). */
  cachedCalls: number;
  inputTokens: number;
  /**
   * The part of inputTokens the provider read from its prompt cache. Optional because progress
   * written before it was counted (a retry envelope) lacks it.
   */
  cachedInputTokens?: number | undefined;
  outputTokens: number;
  /** Output tokens spent on reasoning, already inside outputTokens. Optional, as above. */
  reasoningTokens?: number | undefined;
  costUsd: number;
}

export class EnricherError extends Error {
  readonly code: ErrorCode;
  readonly stage: Stage;
  readonly retriable: boolean;
  readonly scope: ErrorScope;
  readonly retryAfterMs: number | undefined;
  readonly backOffAlone: boolean;
  readonly status: number | undefined;
  billed: BilledUsage | undefined;

  constructor(message: string, opts: EnricherErrorOptions) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'EnricherError';
    this.code = opts.code;
    this.stage = opts.stage;
    this.retriable = opts.retriable;
    this.scope = opts.scope ?? 'document';
    this.retryAfterMs = opts.retryAfterMs;
    this.backOffAlone = opts.backOffAlone ?? false;
    this.status = opts.status;
    this.billed = opts.billed;
  }
}

export function isEnricherError(e: unknown): e is EnricherError {
  return e instanceof EnricherError;
}

/**
 * Anything thrown that is not ours is unexplained, and unexplained is not the document's fault:
 * it is transient (retry tiers, then the DLQ as "retries exhausted"), so a dependency's
 * unexpected exception cannot dead-letter a document on its first occurrence. A fault that
 * repeats for every document is stopped by the DLQ storm guard.
 */
export function toEnricherError(e: unknown, stage: Stage): EnricherError {
  if (isEnricherError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new EnricherError(message, { code: ErrorCodes.INTERNAL, stage, retriable: true, cause: e });
}

/** The problems of a message's own bytes: the only codes that say nothing about the service's health. */
const INPUT_PROBLEMS: ReadonlySet<string> = new Set([
  ErrorCodes.INVALID_JSON, ErrorCodes.SCHEMA_INVALID, ErrorCodes.DOCUMENT_TOO_LARGE,
  // The wire format's: a header or a payload that is wrong in the message itself. Not
  // SCHEMA_ID_UNKNOWN: one unknown id is a producer's mistake, but many at once mean the registry
  // lost its schemas (an in-memory registry restarted), which the DLQ storm guard must stop.
  ErrorCodes.WIRE_HEADER_TRUNCATED, ErrorCodes.SCHEMA_PAYLOAD_INVALID, ErrorCodes.WRITER_SCHEMA_UNSUPPORTED,
]);

export function isInputProblem(code: string): boolean {
  return INPUT_PROBLEMS.has(code);
}

/**
 * A connection that cannot work as configured (credentials refused, an untrusted certificate, a
 * missing ACL). No document's fault and no outage: trying again cannot help, so the process
 * exits with one line that names the cause and `setting`, the variable (or ACL) to fix.
 * Its message never holds a secret.
 */
export class SetupError extends EnricherError {
  readonly setting: string;
  constructor(message: string, opts: { code: ErrorCode; setting: string; cause?: unknown }) {
    super(message, { code: opts.code, stage: 'config', retriable: false, scope: 'service', cause: opts.cause });
    this.name = 'SetupError';
    this.setting = opts.setting;
  }
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
