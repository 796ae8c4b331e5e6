/**
 * The one error model. Every failure that can reach routing is an EnricherError with a
 * stable code, the stage it came from, and whether trying again can help.
 *
 * `scope` separates a document's own fault from the service's: an invalid API key is not
 * the document's fault, so it must pause the service instead of dead-lettering every message.
 */
export type Stage =
  | 'decode'
  | 'validate'
  | 'extract'
  | 'summarize'
  | 'classify'
  | 'retry'
  | 'config';

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
  /** Seconds the server asked us to wait (Retry-After), when it said so. */
  retryAfterMs?: number;
  status?: number;
  /** What the failed operation was billed: its calls were paid for even though it failed. */
  billed?: BilledUsage;
  cause?: unknown;
}

export interface BilledUsage {
  calls: number;
  cachedCalls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export class EnricherError extends Error {
  readonly code: ErrorCode;
  readonly stage: Stage;
  readonly retriable: boolean;
  readonly scope: ErrorScope;
  readonly retryAfterMs: number | undefined;
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
    this.status = opts.status;
    this.billed = opts.billed;
  }
}

export function isEnricherError(e: unknown): e is EnricherError {
  return e instanceof EnricherError;
}

/** Anything thrown that is not ours is a bug until proven otherwise: permanent, not retried. */
export function toEnricherError(e: unknown, stage: Stage): EnricherError {
  if (isEnricherError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new EnricherError(message, { code: ErrorCodes.INTERNAL, stage, retriable: false, cause: e });
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
