/**
 * From what the OpenAI SDK throws to the one error model. The SDK has already retried what it
 * could (408, 409, 429, 5xx, connection errors) by the time an error reaches here, so
 * `retriable` speaks for the next attempt through the retry topics, not for another loop here;
 * except a 429 that refused this call alone (backOffAlone), which the SDK was told not to retry
 * in its slot: the step caller retries it outside the pool (call-step.ts).
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { EnricherError, ErrorCodes, type Stage } from '../../errors.ts';
import { budgetLeft, parseRetryAfterMs } from './rate-limit-headers.ts';

export interface ErrorContext {
  stage: Stage;
  model: string;
}

const MAX_MESSAGE = 300;

export function mapOpenAiError(err: unknown, ctx: ErrorContext): EnricherError {
  if (err instanceof EnricherError) return err;
  const { stage } = ctx;

  // Timeout first: it is a subclass of APIConnectionError.
  if (err instanceof APIConnectionTimeoutError) {
    return new EnricherError('LLM request timed out', { code: ErrorCodes.LLM_TIMEOUT, stage, retriable: true, cause: err });
  }
  if (err instanceof APIConnectionError) {
    return new EnricherError(`LLM connection failed: ${short(err.message)}`, {
      code: ErrorCodes.LLM_CONNECTION,
      stage,
      retriable: true,
      cause: err,
    });
  }
  if (err instanceof APIError && typeof err.status === 'number') {
    return fromStatus(err, err.status, ctx);
  }
  // Not an answer of the API and not one we know: transient (see toEnricherError), never a verdict on the document.
  const message = err instanceof Error ? err.message : String(err);
  return new EnricherError(`LLM call failed: ${short(message)}`, { code: ErrorCodes.INTERNAL, stage, retriable: true, cause: err });
}

export function refused(why: string, stage: Stage): EnricherError {
  return new EnricherError(`LLM refused to answer: ${short(why)}`, { code: ErrorCodes.LLM_REFUSED, stage, retriable: false });
}

function fromStatus(err: APIError, status: number, ctx: ErrorContext): EnricherError {
  const { stage, model } = ctx;
  const detail = short(err.message);
  if (status === 401 || status === 403) {
    // The API's own message can echo part of the key: leave it, and the SDK error, out.
    const what =
      status === 401
        ? 'the API key was rejected (401): check OPENAI_API_KEY'
        : 'the API key lacks permission for this call (403): check the key\'s project, organization and model access';
    return new EnricherError(`LLM authentication failed: ${what}`, {
      code: ErrorCodes.LLM_AUTH,
      stage,
      retriable: false,
      scope: 'service',
      status,
    });
  }
  if (status === 404) {
    return new EnricherError(
      `LLM model "${model}" was not found or is not available to this key (404${err.code ? ` ${err.code}` : ''}): check LLM_MODEL and the steps' LLM_MODEL_<STEP>`,
      { code: ErrorCodes.LLM_UNKNOWN_MODEL, stage, retriable: false, scope: 'service', status, cause: err },
    );
  }
  if (status === 429) {
    const retryAfterMs = err.headers ? parseRetryAfterMs(err.headers) : undefined;
    return new EnricherError(`LLM rate limited (429): ${detail}`, {
      code: ErrorCodes.LLM_RATE_LIMITED,
      stage,
      retriable: true,
      status,
      cause: err,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      ...(err.headers && budgetLeft(err.headers) ? { backOffAlone: true } : {}),
    });
  }
  if (status === 408) {
    return new EnricherError(`LLM request timed out (408): ${detail}`, { code: ErrorCodes.LLM_TIMEOUT, stage, retriable: true, status, cause: err });
  }
  if (status === 409) {
    return new EnricherError(`LLM conflict (409): ${detail}`, { code: ErrorCodes.LLM_CONFLICT, stage, retriable: true, status, cause: err });
  }
  if (status >= 500) {
    const retryAfterMs = err.headers ? parseRetryAfterMs(err.headers) : undefined;
    return new EnricherError(`LLM server error (${status}): ${detail}`, {
      code: ErrorCodes.LLM_SERVER_ERROR,
      stage,
      retriable: true,
      status,
      cause: err,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  return new EnricherError(`LLM rejected the request (${status}): ${detail}`, {
    code: ErrorCodes.LLM_BAD_REQUEST,
    stage,
    retriable: false,
    status,
    cause: err,
  });
}

function short(text: string): string {
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text;
}
