/**
 * The chain built the way src/app.ts builds it (step caller, local limiter, pricing, metrics,
 * cost sink, the three steps, the runner), around the scripted model. Built inside a test; its
 * limiter is stopped when the test ends.
 */
import { onTestFinished } from 'vitest';
import type { CostEvent, ChainProgress } from '../../src/contracts/index.ts';
import type { EnricherError } from '../../src/errors.ts';
import type { ResultCache } from '../../src/llm/cache/result-cache.ts';
import { createStepCaller, type CallContext, type CostSink } from '../../src/llm/chain/call-step.ts';
import { createChainRunner, type ChainOutcome, type ChainResult } from '../../src/llm/chain/run-chain.ts';
import { bundledPromptSet, chainSteps } from '../../src/llm/chain/steps/index.ts';
import { createLocalLimiter } from '../../src/llm/limiter/local-pool.ts';
import { PRICE_TABLE, createPricing } from '../../src/llm/pricing.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { CATEGORIES, FIXTURE_DOC, MODEL, TOKENS, scriptedModel, type ScriptedModel } from './scripted-model.ts';

/** The first attempt at the FIXTURE document. */
export const ctx: CallContext = { documentId: FIXTURE_DOC.id, attempt: 1 };

export function buildChain(opts: {
  /** Defaults to a fresh scriptedModel(). */
  model?: ScriptedModel;
  cache?: ResultCache;
  promptVersion?: string;
  /** Each step's model (LLM_MODEL_<STEP>); default the scripted model's. */
  models?: Readonly<Record<string, string>>;
  slots?: number;
  beforeCall?: (ctx: CallContext) => Promise<void>;
  /** Called for each emitted cost event; the emit resolves when this does. */
  ack?: (e: CostEvent) => Promise<void>;
} = {}) {
  const model = opts.model ?? scriptedModel();
  const logger = silentLogger();
  const metrics = createMetrics();
  const limiter = createLocalLimiter({ slots: opts.slots ?? 5, logger });
  onTestFinished(() => limiter.stop());
  const pricing = createPricing({ logger, onFallback: (model) => metrics.priceFallbacks.inc({ model }) });
  const events: CostEvent[] = [];
  const costs: CostSink = {
    async emit(e) {
      events.push(e);
      if (opts.ack) await opts.ack(e);
    },
  };
  const callStep = createStepCaller({
    provider: model,
    limiter,
    pricing,
    costs,
    cache: opts.cache,
    promptVersion: opts.promptVersion ?? bundledPromptSet().version,
    models: opts.models,
    maxOutputTokens: 600,
    instanceId: 'test-instance',
    logger,
    metrics,
    beforeCall: opts.beforeCall,
  });
  const chain = createChainRunner({ steps: chainSteps({ categories: CATEGORIES }), callStep, logger });
  return { chain, model, events, metrics };
}

export function okResult(o: ChainOutcome): ChainResult {
  if (!o.ok) throw new Error(`chain failed: ${o.error.code} ${o.error.message}`);
  return o.result;
}

export function failed(o: ChainOutcome): { error: EnricherError; progress: ChainProgress } {
  if (o.ok) throw new Error('chain succeeded, expected a failure');
  return o;
}

/** The table price of one call of a step at the scripted model's token counts. */
export function priceOf(step: 'extract' | 'summarize' | 'classify'): number {
  const p = PRICE_TABLE[MODEL]!;
  return (TOKENS[step].input * p.inputPer1k + TOKENS[step].output * p.outputPer1k) / 1000;
}

export async function counterTotal(c: { get(): Promise<{ values: { value: number }[] }> }): Promise<number> {
  return (await c.get()).values.reduce((n, v) => n + v.value, 0);
}
