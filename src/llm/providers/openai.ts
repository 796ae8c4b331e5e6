/**
 * The LlmProvider over the official OpenAI SDK, for OpenAI or any compatible server.
 *
 * Retries: the SDK's own loop is the only one (it honours Retry-After and retry-after-ms).
 * The wrapped fetch sees every HTTP response, including the ones the SDK retries silently,
 * so the shared limiter hears about every 429 and every exhausted budget.
 * Cost: every response that carried usage is reported through req.onBilledCall, whether its
 * answer was usable or not.
 */
import { APIUserAbortError, OpenAI } from 'openai';
import type { ChatCompletion, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { ServiceTier } from '../../config.ts';
import { EnricherError, ErrorCodes, type Stage } from '../../errors.ts';
import type { Logger } from '../../observability/logger.ts';
import { toStructuredOutputSchema } from './json-schema.ts';
import { isReasoningModel } from './model-capabilities.ts';
import { mapOpenAiError, refused } from './openai-errors.ts';
import type { LlmProvider, LlmRequest, LlmResponse, RateLimitSignal } from './provider.ts';
import { budgetLeft, rateLimitSignalFrom } from './rate-limit-headers.ts';
import { fieldProbability } from './token-probability.ts';

export interface OpenAiProviderDeps {
  apiKey: string;
  baseUrl?: string | undefined;
  model: string;
  timeoutMs: number;
  maxRetries: number;
  logger: Logger;
  onRateLimit?: ((s: RateLimitSignal) => void) | undefined;
  /** Sent as service_tier with every request; unset leaves it to the API (its default is auto). */
  serviceTier?: ServiceTier | undefined;
  stepModels?: readonly string[] | undefined; // the steps' own (LLM_MODEL_<STEP>), probed with `model`
}

export type OpenAiProvider = LlmProvider & {
  /** A cheap authenticated call (models.retrieve) per model: resolves when the key and every model work. */
  probe(): Promise<void>;
};

export const DOCUMENT_ID_HEADER = 'x-enricher-document-id';
export const STEP_HEADER = 'x-enricher-step';

type Verdict<T> = { ok: true; value: T } | { ok: false; refusal: string } | { ok: false; invalid: string };

export function createOpenAiProvider(deps: OpenAiProviderDeps): OpenAiProvider {
  const log = deps.logger.child({ component: 'openai-provider', model: deps.model });
  const client = new OpenAI({
    apiKey: deps.apiKey,
    ...(deps.baseUrl ? { baseURL: deps.baseUrl } : {}),
    timeout: deps.timeoutMs,
    maxRetries: deps.maxRetries,
    fetch: observingFetch(log, deps.onRateLimit),
    // Our own logs say what matters, without the SDK writing to the console.
    logLevel: 'off',
  });

  async function call(req: LlmRequest<unknown>, messages: ChatCompletionMessageParam[], format: ReturnType<typeof toStructuredOutputSchema>): Promise<ChatCompletion> {
    // Reasoning models refuse logprobs and any temperature but the default.
    const reasoning = isReasoningModel(req.model ?? deps.model);
    return client.chat.completions.create(
      {
        model: req.model ?? deps.model,
        messages,
        response_format: {
          type: 'json_schema',
          json_schema: { name: req.schemaName, strict: format.strict, schema: format.schema },
        },
        max_completion_tokens: req.maxOutputTokens,
        ...(reasoning ? {} : { temperature: 0 }),
        ...(deps.serviceTier ? { service_tier: deps.serviceTier } : {}),
        ...(req.probabilityOf && !reasoning ? { logprobs: true } : {}),
      },
      {
        headers: { [DOCUMENT_ID_HEADER]: req.documentId, [STEP_HEADER]: req.step },
        ...(req.signal ? { signal: req.signal } : {}),
      },
    );
  }

  // A step's schema and categories are the same for every call: its JSON Schema, which zod
  // builds by walking the schema (allocating as it goes), is built once per pair.
  const formats = new WeakMap<object, Map<string, ReturnType<typeof toStructuredOutputSchema>>>();
  function formatOf(schema: LlmRequest<unknown>['schema'], categories: readonly string[] | undefined) {
    let byCategories = formats.get(schema);
    if (!byCategories) formats.set(schema, (byCategories = new Map()));
    const key = categories ? categories.join('\u0000') : '';
    let format = byCategories.get(key);
    if (!format) byCategories.set(key, (format = toStructuredOutputSchema(schema, { categories })));
    return format;
  }

  async function complete<T>(req: LlmRequest<T>): Promise<LlmResponse<T>> {
    const format = formatOf(req.schema, req.categories && req.categories.length > 0 ? req.categories : undefined);
    const base: ChatCompletionMessageParam[] = [
      { role: 'system', content: req.messages.system },
      { role: 'user', content: req.messages.user },
    ];
    let messages = base;
    let inputTokens = 0;
    let outputTokens = 0;
    // One repair: a second call that shows the model its answer and what was wrong with it.
    for (let attempt = 1; attempt <= 2; attempt++) {
      const started = Date.now();
      let completion: ChatCompletion;
      try {
        completion = await call(req as LlmRequest<unknown>, messages, format);
      } catch (err) {
        if (req.signal?.aborted) throw req.signal.reason ?? err;
        if (err instanceof APIUserAbortError) throw err;
        throw mapOpenAiError(err, { stage: req.step, model: req.model ?? deps.model });
      }
      const model = completion.model || req.model || deps.model;
      const choice = completion.choices[0];
      const content = choice?.message.content ?? null;
      const verdict = judge(req, choice);
      const usage = completion.usage;
      if (usage) {
        inputTokens += usage.prompt_tokens;
        outputTokens += usage.completion_tokens;
        req.onBilledCall({
          inputTokens: usage.prompt_tokens,
          cachedInputTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
          reasoningTokens: usage.completion_tokens_details?.reasoning_tokens ?? 0,
          outputTokens: usage.completion_tokens,
          serviceTier: completion.service_tier ?? undefined,
          model,
          ok: verdict.ok,
        });
      }
      log.debug(
        {
          documentId: req.documentId,
          step: req.step,
          attempt,
          ms: Date.now() - started,
          inputTokens: usage?.prompt_tokens,
          cachedInputTokens: usage?.prompt_tokens_details?.cached_tokens,
          outputTokens: usage?.completion_tokens,
          serviceTier: completion.service_tier,
          answeredBy: model,
          ok: verdict.ok,
        },
        'llm call',
      );
      if (verdict.ok) {
        const tokens = choice?.logprobs?.content;
        const probability = req.probabilityOf && content !== null && tokens ? fieldProbability(content, tokens, req.probabilityOf) : undefined;
        return { output: verdict.value, inputTokens, outputTokens, model, ...(probability === undefined ? {} : { fieldProbability: probability }) };
      }
      if ('refusal' in verdict) throw refused(verdict.refusal, req.step);
      if (attempt === 2) {
        throw new EnricherError(`LLM answer still invalid after one repair: ${verdict.invalid}`, {
          code: ErrorCodes.LLM_BAD_OUTPUT,
          stage: req.step,
          retriable: true,
        });
      }
      log.debug({ documentId: req.documentId, step: req.step, problem: verdict.invalid }, 'llm answer invalid, asking for a repair');
      messages = [
        ...base,
        { role: 'assistant', content: content ?? '' },
        {
          role: 'user',
          content:
            `Your previous answer is not valid: ${verdict.invalid}\n` +
            'Reply with the corrected JSON only, matching the required schema exactly, with no other text.',
        },
      ];
    }
    throw new Error('unreachable');
  }

  async function probe(): Promise<void> {
    for (const model of new Set([deps.model, ...(deps.stepModels ?? [])])) {
      await client.models.retrieve(model, { maxRetries: 0, timeout: Math.min(deps.timeoutMs, 10_000) }).catch((err: unknown) => {
        throw mapOpenAiError(err, { stage: 'config' satisfies Stage, model });
      });
    }
  }
  const tokenProbabilitiesFor = (model: string) => !isReasoningModel(model);
  return { name: 'openai', model: deps.model, tokenProbabilities: tokenProbabilitiesFor(deps.model), tokenProbabilitiesFor, complete, probe };
}

function judge<T>(req: LlmRequest<T>, choice: ChatCompletion.Choice | undefined): Verdict<T> {
  if (!choice) return { ok: false, invalid: 'the response had no choices' };
  const { message, finish_reason: finish } = choice;
  if (message.refusal) return { ok: false, refusal: message.refusal };
  if (finish === 'content_filter') return { ok: false, refusal: 'the content filter stopped the answer' };
  const content = message.content;
  if (content === null || content.trim() === '') return { ok: false, invalid: `empty answer (finish_reason ${finish})` };
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch (e) {
    const cut = finish === 'length' ? ' (the answer was cut at max tokens)' : '';
    return { ok: false, invalid: `not valid JSON${cut}: ${(e as Error).message}` };
  }
  const parsed = req.schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = parsed.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
  return { ok: false, invalid: `does not match the schema: ${issues}` };
}

/**
 * A fetch that reports rate-limit signals and logs every non-2xx answer, retried or not. A 429
 * that refused this call alone (budgetLeft) is handed back to the step caller at once
 * (x-should-retry: false, which the SDK obeys) instead of being retried by the SDK after its
 * Retry-After while holding a pool slot: the step caller waits outside the pool.
 */
function observingFetch(log: Logger, onRateLimit: ((s: RateLimitSignal) => void) | undefined) {
  return async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const answer = await fetch(input, init);
    const alone = answer.status === 429 && budgetLeft(answer.headers);
    const res = alone ? withHeader(answer, 'x-should-retry', 'false') : answer;
    const signal = rateLimitSignalFrom(res.status, res.headers);
    if (signal && onRateLimit) {
      try {
        onRateLimit(signal);
      } catch (err) {
        log.warn({ err }, 'onRateLimit listener failed');
      }
    }
    if (res.status >= 400) {
      const headers = new Headers(init?.headers);
      log.warn(
        {
          status: res.status,
          documentId: headers.get(DOCUMENT_ID_HEADER) ?? undefined,
          step: headers.get(STEP_HEADER) ?? undefined,
          retryCount: Number(headers.get('x-stainless-retry-count') ?? 0),
          holdMs: signal?.holdMs,
          ...(alone ? { backOffAlone: true, retryAfter: res.headers.get('retry-after') } : {}),
        },
        'llm http error response',
      );
    }
    return res;
  };
}

function withHeader(res: Response, name: string, value: string): Response {
  const headers = new Headers(res.headers);
  headers.set(name, value);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}
