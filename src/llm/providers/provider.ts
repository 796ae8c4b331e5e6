/**
 * The LlmProvider port: the only thing the chain knows about a model. Two adapters exist:
 * openai.ts (the official SDK, any compatible server) and offline.ts (embedded, deterministic).
 */
import type { z } from 'zod';

export interface LlmMessages {
  system: string;
  user: string;
}

/**
 * The structured input of a step, for providers that do not read prompts (offline): the
 * document, and what the step's prompt is built from (the outputs of the steps before it).
 */
export type StepInput = { step: string; content: string; title?: string | undefined } & Readonly<Record<string, unknown>>;

/** One real, billed API call, reported the moment its response arrives. */
export interface BilledCall {
  inputTokens: number;
  /** The part of inputTokens the provider read from its prompt cache (billed at the cached price); 0 when absent. */
  cachedInputTokens?: number | undefined;
  /** Output tokens spent on reasoning: already inside outputTokens, recorded, never added again. */
  reasoningTokens?: number | undefined;
  outputTokens: number;
  /** The service tier the response says served the call; undefined when it did not say. */
  serviceTier?: string | undefined;
  /** The model the API says answered (it may differ from the one requested). */
  model: string;
  /** False when the answer was unusable (bad JSON, refusal): it was still paid for. */
  ok: boolean;
}

export interface LlmRequest<T> {
  step: string;
  /** The model to ask: the step's own (LLM_MODEL_<STEP>); unset, the provider's. */
  model?: string | undefined;
  documentId: string;
  messages: LlmMessages;
  /** The answer must satisfy this; its JSON Schema is sent as the structured-output format. */
  schema: z.ZodType<T>;
  schemaName: string;
  maxOutputTokens: number;
  input: StepInput;
  /** Called once for every real API response that carried usage, including failed ones. */
  onBilledCall: (call: BilledCall) => void;
  /**
   * A top-level string field of the answer whose token probability the caller wants (the
   * classifier's category). Only providers with `tokenProbabilities` answer it.
   */
  probabilityOf?: string | undefined;
  /** The categories the answer may name (the classifier's): sent as the structured output's enum. */
  categories?: readonly string[] | undefined;
  signal?: AbortSignal;
}

export interface LlmResponse<T> {
  output: T;
  inputTokens: number;
  outputTokens: number;
  model: string;
  /**
   * The probability the model gave the tokens of `probabilityOf`'s value, from the response's
   * token log-probabilities. Undefined when none were asked for or the server sent none.
   */
  fieldProbability?: number | undefined;
}

export interface LlmProvider {
  readonly name: 'openai' | 'offline';
  /** The configured model; the offline provider reports it too, so costs look real. */
  readonly model: string;
  /**
   * Whether this provider asks for token log-probabilities when a request wants a field's
   * probability (Chat Completions with a non-reasoning model). A server may still send none.
   * Absent means no.
   */
  readonly tokenProbabilities?: boolean;
  /** Whether a request for this model (a step's own) gets token log-probabilities; absent: as `tokenProbabilities`. */
  tokenProbabilitiesFor?(model: string): boolean;
  complete<T>(req: LlmRequest<T>): Promise<LlmResponse<T>>;
}

/** Seen by the limiter: the API told us to slow down (429 Retry-After, or remaining hit zero). */
export interface RateLimitSignal {
  holdMs: number;
  reason: string;
}
