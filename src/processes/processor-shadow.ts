/**
 * The processor's shadow candidate, wired (SHADOW_MODEL / SHADOW_PROMPTS_DIR; none without
 * them): the candidate's prompt files and chain, built as the primary's (processor-llm.ts) on
 * the same provider and pool; its calls priced as the primary's and sent as cost events marked
 * `shadow`, so they count against the day's budget (the guard's own count) and are reported
 * apart; its spending stopped at SHADOW_BUDGET_SHARE of the day's budget; and the runner
 * (pipeline/shadow/shadow-runner.ts) with its writer to documents.shadow.
 *
 * The shadow's calls are not in the `enricher_llm_*` and `gen_ai_*` series, which describe the
 * primary: they go to a registry of their own; `enricher_shadow_documents_total` counts the
 * shadow's documents, and llm.cost-events carries its spend.
 */
import type { Config } from '../config.ts';
import type { CostEvent } from '../contracts/index.ts';
import type { BudgetEnforcement } from '../costs/budget/budget-enforcement.ts';
import { utcDay } from '../costs/daily-totals.ts';
import { picoToUsd, usdToPico, type Pico } from '../costs/money.ts';
import { ConfigError } from '../errors.ts';
import type { KafkaClient } from '../kafka/client.ts';
import type { ValueEncoder } from '../kafka/serde.ts';
import { createStepCaller, type CostSink } from '../llm/chain/call-step.ts';
import { resolveConfidenceMode } from '../llm/chain/confidence.ts';
import { loadPrompts } from '../llm/chain/prompt-files.ts';
import { createChainRunner } from '../llm/chain/run-chain.ts';
import { chainSteps, PROMPT_SPECS } from '../llm/chain/steps/index.ts';
import type { Logger } from '../observability/logger.ts';
import { createMetrics, type Metrics } from '../observability/metrics.ts';
import { createShadowRunner, shadowPausedError, type ShadowRunner } from '../pipeline/shadow/shadow-runner.ts';
import { createShadowWriter } from '../pipeline/shadow/shadow-writer.ts';
import type { ProcessorLlm } from './processor-llm.ts';
import { sleep } from '../util/sleep.ts';

/** How often a shadow call waiting for a quiet pool looks again. */
const POOL_LOOK_MS = 50;

/** The comparisons so far in one sentence (the demo prints it). */
export { formatSummary as formatShadowSummary } from '../pipeline/shadow/shadow-metrics.ts';

/** The candidate's name: its model (or its step models), with `@<prompt version>` when it has prompt files of its own. */
export function candidateName(shadow: NonNullable<Config['shadow']>, promptVersion: string): string {
  const models = [...new Set(Object.values(shadow.models))].join('+');
  return shadow.ownPrompts ? `${models}@${promptVersion}` : models;
}

export function createProcessorShadow(deps: {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  kafka: KafkaClient;
  encode: ValueEncoder;
  llm: ProcessorLlm;
  budget: BudgetEnforcement;
  /** Told of every shadow cost event (tests). */
  onCostEvent?: ((e: CostEvent) => void) | undefined;
}): ShadowRunner | undefined {
  const { config, logger, llm, budget } = deps;
  const shadow = config.shadow;
  if (!shadow) return undefined;
  let prompts;
  try {
    prompts = loadPrompts(shadow.promptsDir, PROMPT_SPECS);
  } catch (e) {
    // Named by the setting that points there: the primary's own files are fine.
    throw e instanceof ConfigError && shadow.ownPrompts ? new ConfigError(e.message.replace('(PROMPTS_DIR=', '(SHADOW_PROMPTS_DIR=')) : e;
  }
  const candidate = candidateName(shadow, prompts.version);

  // This instance's shadow spend per UTC day, counted as its events are sent; the aggregated
  // figure (every instance's, llm.costs.daily) catches up with it and takes over after a restart.
  const own = new Map<string, Pico>();
  const costs: CostSink = {
    emit(e) {
      const event: CostEvent = { ...e, shadow: true };
      const day = utcDay(event.timestamp);
      own.set(day, (own.get(day) ?? 0n) + usdToPico(event.cost_usd));
      deps.onCostEvent?.(event);
      return llm.costs.emit(event);
    },
  };
  const paused = (): string | undefined => {
    const s = budget.guard.status();
    if (s.exceeded) return `the daily budget is reached ($${s.spendUsd.toFixed(4)} of $${s.budgetUsd})`;
    // Without a daily budget there is no share to spend: the sample alone bounds the shadow.
    if (s.budgetUsd === undefined) return undefined;
    const mine = own.get(s.day) ?? 0n;
    const all = budget.shadowSpend(s.day);
    const spent = mine > all ? mine : all;
    const cap = usdToPico(s.budgetUsd * shadow.budgetShare);
    return spent >= cap ? `its share of the daily budget is spent ($${picoToUsd(spent).toFixed(4)} of $${picoToUsd(cap).toFixed(4)}, SHADOW_BUDGET_SHARE=${shadow.budgetShare})` : undefined;
  };

  const callStep = createStepCaller({
    provider: llm.provider, limiter: llm.limiter, pricing: llm.pricing, costs, promptVersion: prompts.version, models: shadow.models,
    maxOutputTokens: config.llm.maxOutputTokens, instanceId: config.kafka.instanceId, logger, metrics: createMetrics(),
    // Before every call: a shadow that must stop spending ends its document there, unwritten; a
    // call waits while one of the primary's waits for a slot (the step caller then checks abandonment).
    beforeCall: async (ctx) => {
      for (;;) {
        const why = paused();
        if (why) throw shadowPausedError(why, 'shadow');
        if (ctx.abandoned?.() || llm.poolWaiting() === 0) return;
        await sleep(POOL_LOOK_MS);
      }
    },
    callRetries: config.llm.callRetries,
  });
  const confidenceMode = resolveConfidenceMode(config.llm.confidenceMode, llm.provider, logger, shadow.models.classify);
  const chain = createChainRunner({ steps: chainSteps({ categories: config.llm.categories, prompts, confidenceMode, logger }), callStep, logger });

  const maxInFlight = Math.max(1, Math.floor(config.llm.poolSlots / 2));
  logger.info(
    { candidate, models: shadow.models, promptVersion: prompts.version, sample: shadow.sample, budgetShare: shadow.budgetShare, maxInFlight, topic: config.topics.shadow },
    'shadow candidate on: it answers the sampled documents after the primary, off the commit path',
  );
  if (config.budget.dailyUsd === undefined) logger.warn('SHADOW_BUDGET_SHARE applies only with a daily budget (DAILY_BUDGET_USD or `enricher config set`): until one is set, SHADOW_SAMPLE alone bounds the shadow\'s spend');
  return createShadowRunner({
    candidate, chain, sample: shadow.sample, primaryPromptVersion: llm.promptVersion, shadowPromptVersion: prompts.version,
    maxInFlight, maxBacklog: config.processing.maxInFlight, poolTight: () => llm.poolWaiting() > 0, paused,
    topic: config.topics.shadow, encode: deps.encode, writer: createShadowWriter(deps.kafka), logger,
    onOutcome: (outcome) => deps.metrics.shadowDocuments.inc({ outcome }),
  });
}
