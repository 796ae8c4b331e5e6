/**
 * One chain step's call to the model, and what surrounds a real API call: the result cache, the
 * document's abandonment, the budget's hold, a slot in the shared pool (weighted by tokens when
 * LLM_TPM is set, and given back during a Retry-After that refused this call alone), and the
 * bill (step-billing.ts: pricing, metrics and a cost event for every billed response).
 */
import type { z } from 'zod';
import { EnricherError, ErrorCodes, toEnricherError } from '../../errors.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Metrics } from '../../observability/metrics.ts';
import { epochNow, type DocumentTrace } from '../../observability/tracing/document-trace.ts';
import { cacheKey, type ResultCache } from '../cache/result-cache.ts';
import type { LlmLimiter, Turn } from '../limiter/limiter.ts';
import { SDK_MAX_RETRY_WAIT_MS } from '../limiter/limiter-settings.ts';
import type { Pricing } from '../pricing.ts';
import type { LlmMessages, LlmProvider, StepInput } from '../providers/provider.ts';
import { sleep } from '../../util/sleep.ts';
import { emptyUsage, startBill, type CostSink, type StepUsage } from './step-billing.ts';

export { addUsage, emptyUsage, type CostSink, type StepUsage } from './step-billing.ts';

export interface CallContext {
  documentId: string;
  /** 1 for the first delivery, 2 for the first retry, and so on. */
  attempt: number;
  runId?: string | undefined;
  /** The document's turn for pool slots: its partition, and its place in it. */
  turn?: Turn | undefined;
  signal?: AbortSignal | undefined;
  /**
   * True once nobody wants this document's result any more (its partition went to another
   * instance): no new call is started, so a revoked partition stops spending pool slots and
   * money. A call already on the wire is left to finish: it is billed either way, and its cost
   * must still be counted.
   */
  abandoned?: (() => boolean) | undefined;
  /** The attempt's trace: each step records its span there (tracing on). */
  trace?: DocumentTrace | undefined;
}

/** A step's request, as chain steps make it (step.ts). */
export interface StepCall<T> {
  step: string;
  messages: LlmMessages;
  answer: z.ZodType<T>;
  input: StepInput;
  /** A top-level string field whose token probability is wanted (see LlmRequest.probabilityOf). */
  probabilityOf?: string | undefined;
  categories?: readonly string[] | undefined;
}

export interface StepCallResult<T> {
  output: T;
  usage: StepUsage;
  model: string;
  cached: boolean;
  /** The probability of `probabilityOf`'s value, when the provider could tell. */
  fieldProbability?: number | undefined;
}

export interface StepCallerDeps {
  provider: LlmProvider;
  limiter: LlmLimiter;
  pricing: Pricing;
  costs: CostSink;
  cache?: ResultCache | undefined;
  promptVersion: string;
  /**
   * Each step's model (LLM_MODEL_<STEP>): its calls ask for it, are priced at it and cached
   * under it. A step not named here asks for the provider's model.
   */
  models?: Readonly<Record<string, string>> | undefined;
  maxOutputTokens: number;
  instanceId: string;
  logger: Logger;
  metrics: Metrics;
  /** Awaited before every real call (not before cache hits): the budget guard holds calls here. */
  beforeCall?: ((ctx: CallContext) => Promise<void>) | undefined;
  /** Tries again of a call the API refused alone (LLM_CALL_RETRIES, as the SDK's own retries). Default 2. */
  callRetries?: number | undefined;
}

export type StepCaller = <T>(call: StepCall<T>, ctx: CallContext) => Promise<StepCallResult<T>>;

function throwIfAbandoned(ctx: CallContext, step: string): void {
  if (ctx.abandoned?.()) {
    throw new EnricherError('document abandoned: its partition was taken by another instance', { code: ErrorCodes.ABANDONED, stage: step, retriable: false });
  }
}

/** The cached answer to this very request, when the cache has one that still fits the answer's schema. */
async function cachedAnswer<T>(cache: ResultCache, key: string, call: StepCall<T>): Promise<StepCallResult<T> | undefined> {
  const hit = await cache.get(key);
  if (hit === undefined) return undefined;
  const parsed = call.answer.safeParse(hit.output);
  if (!parsed.success) return undefined;
  return {
    output: parsed.data, usage: { ...emptyUsage(), cachedCalls: 1 }, model: hit.model, cached: true,
    ...(hit.fieldProbability === undefined ? {} : { fieldProbability: hit.fieldProbability }),
  };
}

export function createStepCaller(deps: StepCallerDeps): StepCaller {
  const { provider, limiter, cache, metrics } = deps;
  const modelOf = (step: string): string => deps.models?.[step] ?? provider.model;
  // The tokenizer's tables are large: loaded only when token weights matter (LLM_TPM).
  let tokenizer: Promise<typeof import('gpt-tokenizer')> | undefined;
  const countTokens = async (text: string) => (await (tokenizer ??= import('gpt-tokenizer'))).countTokens(text);

  /**
   * The call in a pool slot. A call the API refused alone (a 429 with budget left) waits for
   * its Retry-After outside the pool, its slot free for another call meanwhile, and tries again.
   */
  async function inPool<R>(step: string, ctx: CallContext, weight: number, run: () => Promise<R>, waited: { ms: number }): Promise<R> {
    for (let retries = 0; ; retries++) {
      const queuedAt = performance.now();
      try {
        return await limiter.schedule(weight, () => {
          const ms = performance.now() - queuedAt;
          waited.ms += ms;
          metrics.poolWait.observe({ step }, ms / 1000);
          return run();
        }, ctx.turn);
      } catch (e) {
        if (!(e instanceof EnricherError && e.backOffAlone) || retries >= (deps.callRetries ?? 2)) throw e;
        const waitMs = Math.min(e.retryAfterMs ?? 1_000, SDK_MAX_RETRY_WAIT_MS);
        deps.logger.debug({ documentId: ctx.documentId, step, waitMs, retry: retries + 1 }, 'LLM call refused alone (429, budget left): trying again after its Retry-After, outside the pool');
        await sleep(waitMs);
      }
    }
  }

  /** The operation's duration, in the GenAI conventions' histogram: the answer's model, or the error's code. */
  async function timed<R extends { model: string }>(step: string, model: string, call: Promise<R>): Promise<R> {
    const started = performance.now();
    const labels = { step, gen_ai_operation_name: 'chat', gen_ai_provider_name: provider.name, gen_ai_request_model: model };
    try {
      const res = await call;
      metrics.llmDuration.observe({ ...labels, gen_ai_response_model: res.model, outcome: 'ok', error_type: '' }, (performance.now() - started) / 1000);
      return res;
    } catch (e) {
      const code = e instanceof EnricherError ? e.code : 'unknown';
      metrics.llmDuration.observe({ ...labels, gen_ai_response_model: '', outcome: 'error', error_type: code }, (performance.now() - started) / 1000);
      throw e;
    }
  }

  /** The step's span (tracing on): its model, tokens, cost, cache hit and pool wait; the prompt and answer only when capture is asked for. */
  function traceStep(trace: DocumentTrace, call: StepCall<unknown>, start: number, r: { usage: StepUsage; cached: boolean; model?: string | undefined; output?: unknown; waitedMs?: number; error?: EnricherError }): void {
    trace.step({
      step: call.step, provider: provider.name, requestModel: modelOf(call.step), responseModel: r.model, start, end: epochNow(), cached: r.cached,
      inputTokens: r.usage.inputTokens, outputTokens: r.usage.outputTokens, cachedInputTokens: r.usage.cachedInputTokens ?? 0, costUsd: r.usage.costUsd, calls: r.usage.calls,
      maxOutputTokens: deps.maxOutputTokens, poolWaitMs: r.waitedMs, errorType: r.error?.code, errorMessage: r.error?.message,
      content: trace.captureContent && r.output !== undefined ? { system: call.messages.system, user: call.messages.user, output: r.output } : undefined,
    });
  }

  return async function callStep<T>(call: StepCall<T>, ctx: CallContext): Promise<StepCallResult<T>> {
    const traceStart = ctx.trace ? epochNow() : 0;
    const model = modelOf(call.step);
    const key = cache ? cacheKey(call.step, model, deps.promptVersion, call.messages) : undefined;
    if (cache && key) {
      const hit = await cachedAnswer(cache, key, call);
      if (hit) {
        metrics.llmCacheHits.inc({ step: call.step });
        if (ctx.trace) traceStep(ctx.trace, call, traceStart, hit);
        return hit;
      }
    }
    throwIfAbandoned(ctx, call.step);
    if (deps.beforeCall) await deps.beforeCall(ctx);
    const bill = startBill({ step: call.step, ctx, provider: provider.name, requestModel: model, instanceId: deps.instanceId, pricing: deps.pricing, costs: deps.costs, metrics });
    const weight = limiter.weighted ? (await countTokens(`${call.messages.system}\n${call.messages.user}`)) + deps.maxOutputTokens : 1;
    const waited = { ms: 0 };
    try {
      const res = await inPool(call.step, ctx, weight, () => {
        // Checked again with the slot in hand: the wait for it can be long.
        throwIfAbandoned(ctx, call.step);
        return timed(call.step, model, provider.complete({
          step: call.step,
          model,
          documentId: ctx.documentId,
          messages: call.messages,
          schema: call.answer,
          schemaName: call.step,
          maxOutputTokens: deps.maxOutputTokens,
          input: call.input,
          onBilledCall: (b) => bill.onBilledCall(b),
          ...(call.probabilityOf && (provider.tokenProbabilitiesFor?.(model) ?? provider.tokenProbabilities) ? { probabilityOf: call.probabilityOf } : {}),
          ...(call.categories ? { categories: call.categories } : {}),
          ...(ctx.signal ? { signal: ctx.signal } : {}),
        }));
      }, waited);
      await bill.recorded();
      const probability = res.fieldProbability === undefined ? {} : { fieldProbability: res.fieldProbability };
      if (cache && key) await cache.set(key, { output: res.output, model: res.model, ...probability });
      const result = { output: res.output, usage: bill.usage, model: res.model, cached: false, ...probability };
      if (ctx.trace) traceStep(ctx.trace, call, traceStart, { ...result, waitedMs: waited.ms });
      return result;
    } catch (e) {
      // The calls of a failed step were paid for too: their costs are recorded before we
      // rethrow, and the error carries them so the document's usage counts them.
      await bill.settled();
      metrics.llmCalls.inc({ step: call.step, outcome: 'error' });
      const err = toEnricherError(e, call.step);
      if (bill.usage.calls > 0 && !err.billed) err.billed = bill.usage;
      if (ctx.trace) traceStep(ctx.trace, call, traceStart, { usage: bill.usage, cached: false, waitedMs: waited.ms, error: err });
      throw err;
    }
  };
}
