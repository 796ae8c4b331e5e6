/**
 * One chain step's call to the model, with everything that surrounds a real API call: the
 * result cache, a slot in the shared pool, pricing, and a cost event for every billed
 * response. Cost events are acknowledged by Kafka before the step returns or throws, so a
 * step result never exists without its cost having been recorded.
 */
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { CostEvent, StepName } from '../../contracts/index.ts';
import { EnricherError, ErrorCodes, toEnricherError, type BilledUsage } from '../../errors.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { LlmLimiter, Turn } from '../limiter/limiter.ts';
import { SDK_MAX_RETRY_WAIT_MS } from '../limiter/limiter-settings.ts';
import type { Pricing } from '../pricing.ts';
import type { BilledCall, LlmMessages, LlmProvider, StepInput } from '../providers/provider.ts';
import type { ResultCache } from '../cache/result-cache.ts';
import { cacheKey } from '../cache/result-cache.ts';
import { sleep } from '../../util/sleep.ts';

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
}

function throwIfAbandoned(ctx: CallContext, step: StepName): void {
  if (ctx.abandoned?.()) {
    throw new EnricherError('document abandoned: its partition was taken by another instance', { code: ErrorCodes.ABANDONED, stage: step, retriable: false });
  }
}

/** What a step (or a whole chain) used: the same shape as the usage a failed call was billed. */
export type StepUsage = BilledUsage;

export const emptyUsage = (): StepUsage => ({ calls: 0, cachedCalls: 0, inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, reasoningTokens: 0, costUsd: 0 });

export function addUsage(a: StepUsage, b: StepUsage): StepUsage {
  return {
    calls: a.calls + b.calls,
    cachedCalls: a.cachedCalls + b.cachedCalls,
    inputTokens: a.inputTokens + b.inputTokens,
    cachedInputTokens: (a.cachedInputTokens ?? 0) + (b.cachedInputTokens ?? 0),
    outputTokens: a.outputTokens + b.outputTokens,
    reasoningTokens: (a.reasoningTokens ?? 0) + (b.reasoningTokens ?? 0),
    // Rounded to 1e-12: float sums of many small prices must not drift visibly.
    costUsd: Math.round((a.costUsd + b.costUsd) * 1e12) / 1e12,
  };
}

export interface CostSink {
  /** Resolves once the event is durably in Kafka. */
  emit(event: CostEvent): Promise<void>;
}

export interface StepCall<T> {
  step: StepName;
  input: StepInput;
  messages: LlmMessages;
  schema: z.ZodType<T>;
  schemaName: string;
  /** A top-level string field whose token probability is wanted (see LlmRequest.probabilityOf). */
  probabilityOf?: string | undefined;
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

/** A cost event that Kafka would not take is a transient fault of ours, not of the document. */
async function awaitCosts(pending: Promise<void>[], step: StepName, usage: StepUsage): Promise<void> {
  const results = await Promise.allSettled(pending);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) {
    throw new EnricherError(`could not record the cost of a ${step} call: ${String((failed.reason as Error)?.message ?? failed.reason)}`, {
      code: ErrorCodes.KAFKA_UNAVAILABLE, stage: step, retriable: true, billed: usage, cause: failed.reason,
    });
  }
}

function recordCallMetrics(metrics: Metrics, step: StepName, b: BilledCall, costUsd: number, cacheSavingUsd: number): void {
  metrics.llmCalls.inc({ step, outcome: b.ok ? 'ok' : 'unusable' });
  metrics.llmTokens.inc({ direction: 'input', model: b.model }, b.inputTokens);
  metrics.llmTokens.inc({ direction: 'cached_input', model: b.model }, b.cachedInputTokens ?? 0);
  metrics.llmTokens.inc({ direction: 'output', model: b.model }, b.outputTokens);
  metrics.llmTokens.inc({ direction: 'reasoning', model: b.model }, b.reasoningTokens ?? 0);
  metrics.llmCostUsd.inc({ model: b.model }, costUsd);
  metrics.llmCacheSavingUsd.inc({ model: b.model }, cacheSavingUsd);
  metrics.llmServiceTierCalls.inc({ tier: b.serviceTier ?? 'none', model: b.model });
}

export function createStepCaller(deps: StepCallerDeps): StepCaller {
  const { provider, limiter, pricing, costs, cache, metrics } = deps;
  // The tokenizer's tables are large: loaded only when token weights matter (LLM_TPM).
  let tokenizer: Promise<typeof import('gpt-tokenizer')> | undefined;
  const countTokens = async (text: string) => (await (tokenizer ??= import('gpt-tokenizer'))).countTokens(text);

  return async function callStep<T>(call: StepCall<T>, ctx: CallContext): Promise<StepCallResult<T>> {
    const key = cache ? cacheKey(call.step, provider.model, deps.promptVersion, call.messages) : undefined;
    if (cache && key) {
      const hit = await cache.get(key);
      if (hit !== undefined) {
        const parsed = call.schema.safeParse(hit.output);
        if (parsed.success) {
          metrics.llmCacheHits.inc({ step: call.step });
          return {
            output: parsed.data, usage: { ...emptyUsage(), cachedCalls: 1 }, model: hit.model, cached: true,
            ...(hit.fieldProbability === undefined ? {} : { fieldProbability: hit.fieldProbability }),
          };
        }
      }
    }

    throwIfAbandoned(ctx, call.step);
    if (deps.beforeCall) await deps.beforeCall(ctx);
    let usage = emptyUsage();
    const pendingCosts: Promise<void>[] = [];
    const onBilledCall = (b: BilledCall): void => {
      const cachedInputTokens = b.cachedInputTokens ?? 0;
      const reasoningTokens = b.reasoningTokens ?? 0;
      const { costUsd, source, cacheSavingUsd } = pricing.price({ model: b.model, inputTokens: b.inputTokens, cachedInputTokens, outputTokens: b.outputTokens, serviceTier: b.serviceTier });
      usage = addUsage(usage, { calls: 1, cachedCalls: 0, inputTokens: b.inputTokens, cachedInputTokens, outputTokens: b.outputTokens, reasoningTokens, costUsd });
      recordCallMetrics(metrics, call.step, b, costUsd, cacheSavingUsd);
      const event: CostEvent = {
        call_id: randomUUID(),
        document_id: ctx.documentId,
        step: call.step,
        model: b.model,
        provider: provider.name,
        input_tokens: b.inputTokens,
        cached_input_tokens: cachedInputTokens,
        output_tokens: b.outputTokens,
        reasoning_tokens: reasoningTokens,
        ...(b.serviceTier ? { service_tier: b.serviceTier } : {}),
        cost_usd: costUsd,
        cache_saving_usd: cacheSavingUsd,
        price_source: source,
        attempt: ctx.attempt,
        ok: b.ok,
        instance_id: deps.instanceId,
        timestamp: new Date().toISOString(),
        ...(ctx.runId ? { run_id: ctx.runId } : {}),
      };
      const sent = costs.emit(event);
      // Handled here at once: a failure while the call is still running must not become an
      // unhandled rejection; it is reported when the step settles.
      sent.catch(() => undefined);
      pendingCosts.push(sent);
    };

    const weight = limiter.weighted ? (await countTokens(`${call.messages.system}\n${call.messages.user}`)) + deps.maxOutputTokens : 1;
    /**
     * The call in a pool slot. A call the API refused alone (a 429 with budget left) waits for
     * its Retry-After outside the pool, its slot free for another call meanwhile, and tries again.
     */
    const inPool = async <R>(run: () => Promise<R>): Promise<R> => {
      for (let retries = 0; ; retries++) {
        try {
          return await limiter.schedule(weight, run, ctx.turn);
        } catch (e) {
          if (!(e instanceof EnricherError && e.backOffAlone) || retries >= (deps.callRetries ?? 2)) throw e;
          const waitMs = Math.min(e.retryAfterMs ?? 1_000, SDK_MAX_RETRY_WAIT_MS);
          deps.logger.debug({ documentId: ctx.documentId, step: call.step, waitMs, retry: retries + 1 }, 'LLM call refused alone (429, budget left): trying again after its Retry-After, outside the pool');
          await sleep(waitMs);
        }
      }
    };
    try {
      const res = await inPool(() => {
        // Checked again with the slot in hand: the wait for it can be long.
        throwIfAbandoned(ctx, call.step);
        return provider.complete({
          step: call.step,
          documentId: ctx.documentId,
          messages: call.messages,
          schema: call.schema,
          schemaName: call.schemaName,
          maxOutputTokens: deps.maxOutputTokens,
          input: call.input,
          onBilledCall,
          ...(call.probabilityOf && provider.tokenProbabilities ? { probabilityOf: call.probabilityOf } : {}),
          ...(ctx.signal ? { signal: ctx.signal } : {}),
        });
      });
      await awaitCosts(pendingCosts, call.step, usage);
      const probability = res.fieldProbability === undefined ? {} : { fieldProbability: res.fieldProbability };
      if (cache && key) await cache.set(key, { output: res.output, model: res.model, ...probability });
      return { output: res.output, usage, model: res.model, cached: false, ...probability };
    } catch (e) {
      // The calls of a failed step were paid for too: their costs are recorded before we
      // rethrow, and the error carries them so the document's usage counts them.
      await Promise.allSettled(pendingCosts);
      metrics.llmCalls.inc({ step: call.step, outcome: 'error' });
      const err = toEnricherError(e, call.step);
      if (usage.calls > 0 && !err.billed) err.billed = usage;
      throw err;
    }
  };
}
