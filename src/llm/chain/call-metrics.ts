/**
 * The metrics of every billed call. prom-client finds a counter's child by hashing its label
 * object on every inc(); with eight counters per call that showed in the profile of a pipeline
 * whose calls are instant. The children of a (step, model, outcome, tier) are looked up once.
 */
import type { StepName } from '../../contracts/index.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { BilledCall } from '../providers/provider.ts';

interface Children {
  call: { inc(v?: number): void };
  input: { inc(v?: number): void };
  cachedInput: { inc(v?: number): void };
  output: { inc(v?: number): void };
  reasoning: { inc(v?: number): void };
  cost: { inc(v?: number): void };
  saving: { inc(v?: number): void };
  tier: { inc(v?: number): void };
}

export function createCallMetrics(metrics: Metrics): (step: StepName, b: BilledCall, costUsd: number, cacheSavingUsd: number) => void {
  const known = new Map<string, Children>();
  function childrenOf(step: StepName, b: BilledCall): Children {
    const tier = b.serviceTier ?? 'none';
    const key = `${step}\u0000${b.model}\u0000${b.ok}\u0000${tier}`;
    let c = known.get(key);
    if (!c) {
      const model = b.model;
      c = {
        call: metrics.llmCalls.labels({ step, outcome: b.ok ? 'ok' : 'unusable' }),
        input: metrics.llmTokens.labels({ direction: 'input', model }),
        cachedInput: metrics.llmTokens.labels({ direction: 'cached_input', model }),
        output: metrics.llmTokens.labels({ direction: 'output', model }),
        reasoning: metrics.llmTokens.labels({ direction: 'reasoning', model }),
        cost: metrics.llmCostUsd.labels({ model }),
        saving: metrics.llmCacheSavingUsd.labels({ model }),
        tier: metrics.llmServiceTierCalls.labels({ tier, model }),
      };
      known.set(key, c);
    }
    return c;
  }
  return (step, b, costUsd, cacheSavingUsd) => {
    const c = childrenOf(step, b);
    c.call.inc();
    c.input.inc(b.inputTokens);
    c.cachedInput.inc(b.cachedInputTokens ?? 0);
    c.output.inc(b.outputTokens);
    c.reasoning.inc(b.reasoningTokens ?? 0);
    c.cost.inc(costUsd);
    c.saving.inc(cacheSavingUsd);
    c.tier.inc();
  };
}
