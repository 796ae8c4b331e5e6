/**
 * The processor's LLM side, wired: the shared pool (and what it does while its Redis is away),
 * the provider, pricing, the result cache, the step caller with the budget's hold, and the
 * chain of steps.
 */
import type { Config } from '../config.ts';
import type { CostEvent } from '../contracts/index.ts';
import type { BudgetEnforcement } from '../costs/budget/budget-enforcement.ts';
import { createCostEventProducer, type CostEventProducer } from '../costs/cost-event-producer.ts';
import type { IntakeControl } from '../guards/intake-control.ts';
import { createRedisOutageGuard, type RedisOutageGuard } from '../guards/redis-outage-guard.ts';
import type { KafkaClient } from '../kafka/client.ts';
import type { ValueEncoder } from '../kafka/serde.ts';
import { createCache } from '../llm/cache/create-cache.ts';
import type { ResultCache } from '../llm/cache/result-cache.ts';
import { createStepCaller } from '../llm/chain/call-step.ts';
import { resolveConfidenceMode } from '../llm/chain/confidence.ts';
import { loadPrompts } from '../llm/chain/prompt-files.ts';
import { createChainRunner, type ChainRunner } from '../llm/chain/run-chain.ts';
import type { ChainSteps } from '../llm/chain/step.ts';
import { chainSteps, PROMPT_SPECS } from '../llm/chain/steps/index.ts';
import { createInstanceLimiter, createLimiter } from '../llm/limiter/create-limiter.ts';
import type { LlmLimiter } from '../llm/limiter/limiter.ts';
import { watchWaiting } from '../llm/limiter/waiting-watch.ts';
import { createPricing, loadPriceOverrides, type Pricing } from '../llm/pricing.ts';
import { createProvider, type ProviderWithProbe } from '../llm/providers/create-provider.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { redisOptions } from './clients.ts';

export interface ProcessorLlmOverrides {
  provider?: ProviderWithProbe;
  limiter?: LlmLimiter;
  cache?: ResultCache;
  /** Defaults to the prompt files' hash; tests run a "new" version to show that it pays again. */
  promptVersion?: string;
  onCostEvent?: (e: CostEvent) => void;
}

export interface ProcessorLlm {
  readonly provider: ProviderWithProbe;
  /** The pool every call goes through: the shared one, guarded for Redis outages. */
  readonly limiter: LlmLimiter;
  readonly redis: RedisOutageGuard | undefined;
  readonly chain: ChainRunner;
  readonly promptVersion: string;
  readonly pricing: Pricing;
  /** The primary's calls of this instance waiting for a pool slot now (the shadow reads it). */
  poolWaiting(): number;
  /** The cost events' producer: started before any call, stopped after the last. */
  readonly costs: CostEventProducer;
  /** Releases the pool and a cache made here (an injected one belongs to its owner). */
  close(): Promise<void>;
}

export function createProcessorLlm(deps: {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  kafka: KafkaClient;
  intake: IntakeControl;
  budget: BudgetEnforcement;
  encode: ValueEncoder;
  o: ProcessorLlmOverrides;
}): ProcessorLlm {
  const { config, logger, metrics, intake, budget, o } = deps;
  // Read first: a bad prompt file stops the start (a ConfigError naming it) before anything is made.
  const prompts = loadPrompts(config.llm.promptsDir, PROMPT_SPECS);
  const redisOpts = redisOptions(config);
  const pool = o.limiter ?? createLimiter(config, logger, redisOpts);
  // Redis away is the service's condition, never a document's: pause, or a local pool (REDIS_OUTAGE).
  const redis = pool.store
    ? createRedisOutageGuard({
      shared: { ...pool, store: pool.store }, mode: config.llm.redisOutage, intake, logger,
      fallback: config.llm.redisOutage === 'local' ? { pool: createInstanceLimiter(config, logger), slots: config.llm.poolSlots } : undefined,
      onAvailability: (up) => metrics.redisAvailable.set(up ? 1 : 0),
    })
    : undefined;
  const limiter = redis?.limiter ?? pool;
  // The offline provider answers each step with the step's own offline answer (the list is
  // made below: its classifier's confidence mode depends on what the provider can return).
  let steps: ChainSteps = [];
  const provider = o.provider ?? createProvider(config, logger, {
    onRateLimit: (s) => limiter.hold(s.holdMs, s.reason),
    offlineAnswers: (step) => steps.find((s) => s.name === step)?.offline,
  });
  const pricing = createPricing({
    overrides: config.llm.pricesFile ? loadPriceOverrides(config.llm.pricesFile) : undefined,
    logger,
    onFallback: (model) => metrics.priceFallbacks.inc({ model }),
  });
  const costs = createCostEventProducer({
    kafka: deps.kafka, topic: config.topics.costEvents, encode: deps.encode,
    onEmitted: (e) => {
      budget.guard.recordOwn(e);
      o.onCostEvent?.(e);
    },
  });
  const cache = o.cache ?? createCache(config, logger, redisOpts, (n) => metrics.llmCacheUnwritten.inc(n));
  const promptVersion = o.promptVersion ?? prompts.version;
  logger.info({ promptsDir: prompts.dir, promptVersion, models: config.llm.models }, 'prompts and models');
  const watched = watchWaiting(limiter);
  const callStep = createStepCaller({
    provider, limiter: budget.guard.gateLimiter(watched.limiter), pricing, costs, cache, promptVersion, models: config.llm.models,
    maxOutputTokens: config.llm.maxOutputTokens, instanceId: config.kafka.instanceId, logger, metrics,
    beforeCall: (ctx) => budget.guard.beforeCall(ctx), callRetries: config.llm.callRetries,
  });
  const confidenceMode = resolveConfidenceMode(config.llm.confidenceMode, provider, logger, config.llm.models.classify);
  steps = chainSteps({ categories: config.llm.categories, prompts, confidenceMode, logger });
  const chain = createChainRunner({ steps, callStep, logger });
  return {
    provider, limiter, redis, chain, promptVersion, costs, pricing, poolWaiting: watched.waiting,
    async close() {
      await limiter.stop();
      if (!o.cache) await cache?.close?.();
    },
  };
}
