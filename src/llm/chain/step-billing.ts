/**
 * What a step's real calls cost: each billed response is priced, counted in the metrics and the
 * step's usage, and emitted as a cost event at once. The step does not return (or throw) before
 * Kafka took every one of its events, so a result never exists without its cost recorded.
 */
import { randomUUID } from 'node:crypto';
import type { CostEvent } from '../../contracts/index.ts';
import { EnricherError, ErrorCodes, type BilledUsage } from '../../errors.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { Pricing } from '../pricing.ts';
import type { BilledCall } from '../providers/provider.ts';

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

export interface StepBill {
  /** The provider's callback for each billed response. */
  onBilledCall(b: BilledCall): void;
  readonly usage: StepUsage;
  /** Resolves once Kafka took every cost event; throws KAFKA_UNAVAILABLE if it refused one. */
  recorded(): Promise<void>;
  /** Waits for the events without judging them (the step failed anyway). */
  settled(): Promise<void>;
}

function recordCallMetrics(metrics: Metrics, call: { step: string; provider: string; requestModel: string }, b: BilledCall, costUsd: number, cacheSavingUsd: number): void {
  const step = call.step;
  metrics.llmCalls.inc({ step, outcome: b.ok ? 'ok' : 'unusable' });
  const genAi = { step, gen_ai_operation_name: 'chat', gen_ai_provider_name: call.provider, gen_ai_request_model: call.requestModel, gen_ai_response_model: b.model };
  metrics.llmTokenUsage.observe({ ...genAi, gen_ai_token_type: 'input' }, b.inputTokens);
  metrics.llmTokenUsage.observe({ ...genAi, gen_ai_token_type: 'output' }, b.outputTokens);
  metrics.llmTokens.inc({ direction: 'input', model: b.model }, b.inputTokens);
  metrics.llmTokens.inc({ direction: 'cached_input', model: b.model }, b.cachedInputTokens ?? 0);
  metrics.llmTokens.inc({ direction: 'output', model: b.model }, b.outputTokens);
  metrics.llmTokens.inc({ direction: 'reasoning', model: b.model }, b.reasoningTokens ?? 0);
  metrics.llmCostUsd.inc({ model: b.model }, costUsd);
  metrics.llmCacheSavingUsd.inc({ model: b.model }, cacheSavingUsd);
  metrics.llmServiceTierCalls.inc({ tier: b.serviceTier ?? 'none', model: b.model });
}

export function startBill(deps: {
  step: string;
  ctx: { documentId: string; attempt: number; runId?: string | undefined };
  provider: string;
  /** The model asked for (the response names the one that answered). */
  requestModel: string;
  instanceId: string;
  pricing: Pricing;
  costs: CostSink;
  metrics: Metrics;
}): StepBill {
  const { step, ctx } = deps;
  let usage = emptyUsage();
  const pending: Promise<void>[] = [];
  return {
    onBilledCall(b) {
      const cachedInputTokens = b.cachedInputTokens ?? 0;
      const reasoningTokens = b.reasoningTokens ?? 0;
      const { costUsd, source, cacheSavingUsd } = deps.pricing.price({ model: b.model, inputTokens: b.inputTokens, cachedInputTokens, outputTokens: b.outputTokens, serviceTier: b.serviceTier });
      usage = addUsage(usage, { calls: 1, cachedCalls: 0, inputTokens: b.inputTokens, cachedInputTokens, outputTokens: b.outputTokens, reasoningTokens, costUsd });
      recordCallMetrics(deps.metrics, { step, provider: deps.provider, requestModel: deps.requestModel }, b, costUsd, cacheSavingUsd);
      const event: CostEvent = {
        call_id: randomUUID(),
        document_id: ctx.documentId,
        step,
        model: b.model,
        provider: deps.provider as CostEvent['provider'],
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
      const sent = deps.costs.emit(event);
      // Handled here at once: a failure while the call is still running must not become an
      // unhandled rejection; it is reported when the step settles.
      sent.catch(() => undefined);
      pending.push(sent);
    },
    get usage() {
      return usage;
    },
    async recorded() {
      const results = await Promise.allSettled(pending);
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) {
        // A cost event Kafka would not take is a transient fault of ours, not of the document.
        throw new EnricherError(`could not record the cost of a ${step} call: ${String((failed.reason as Error)?.message ?? failed.reason)}`, {
          code: ErrorCodes.KAFKA_UNAVAILABLE, stage: step, retriable: true, billed: usage, cause: failed.reason,
        });
      }
    },
    async settled() {
      await Promise.allSettled(pending);
    },
  };
}
