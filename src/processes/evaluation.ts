/**
 * `enricher eval`'s composition root: the candidate's chain, built as the processor builds its
 * own (processor-llm.ts: the prompt files, the provider, the pool, pricing, cost events, the
 * step caller and the steps), from a Config that names the candidate's models and PROMPTS_DIR;
 * the quality gate at the current threshold; and the reviewed documents (operations/eval/).
 *
 * The candidate's calls are real calls: each billed response is priced with the price table
 * and sent to llm.cost-events under a run id of its own (`eval-…`), so the spend counts against
 * the day's budget in the aggregator and `enricher costs --by run` shows it apart. The result
 * cache is not used: every document is asked, so the cost per 1,000 documents is what the
 * candidate would cost on new documents. The budget's hold is not applied (an eval is a bounded
 * run an operator starts; --limit bounds it).
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config.ts';
import type { ReviewItem } from '../contracts/index.ts';
import { createCostEventProducer } from '../costs/cost-event-producer.ts';
import type { KafkaClient } from '../kafka/client.ts';
import { createStepCaller } from '../llm/chain/call-step.ts';
import { resolveConfidenceMode } from '../llm/chain/confidence.ts';
import { loadPrompts } from '../llm/chain/prompt-files.ts';
import { createChainRunner, totalUsage } from '../llm/chain/run-chain.ts';
import type { ChainSteps } from '../llm/chain/step.ts';
import { chainSteps, PROMPT_SPECS } from '../llm/chain/steps/index.ts';
import type { ClassifyOutput } from '../llm/chain/steps/classify.ts';
import { createLimiter } from '../llm/limiter/create-limiter.ts';
import { createPricing, loadPriceOverrides } from '../llm/pricing.ts';
import { createProvider, type ProviderWithProbe } from '../llm/providers/create-provider.ts';
import type { Logger } from '../observability/logger.ts';
import { createMetrics } from '../observability/metrics.ts';
import { readReviewedDocuments } from '../operations/eval/reviewed-documents.ts';
import { runEval, type CandidateAnswer, type EvalReport } from '../operations/eval/run-eval.ts';
import type { SideAnswer } from '../operations/eval/eval-metrics.ts';
import { gateInput, qualityGate } from '../pipeline/gate.ts';
import { effectiveSettings, readStoredSettings } from '../settings/settings-topic.ts';
import { encoderFor, kafkaClient, redisOptions } from './clients.ts';

export interface EvalOptions {
  limit?: number | undefined;
  /** For tests: the provider instead of the one the config picks. */
  provider?: ProviderWithProbe | undefined;
  onProgress?: ((done: number, of: number) => void) | undefined;
}

/** What the current version would have done with its answer at `threshold`: the gate again, plus the reasons no threshold lifts. */
export function primaryAnswer(item: ReviewItem, threshold: number): SideAnswer {
  const c = item.classification;
  const gate = qualityGate({ classification: c as ClassifyOutput, partial: item.partial, failed: [] }, threshold);
  const otherReasons = item.review_reasons.some((r) => r.code !== 'LOW_CONFIDENCE');
  return { category: c.category, confidence: c.confidence, wouldPublish: gate.route === 'enriched' && !otherReasons, costUsd: item.usage.cost_usd };
}

/** `config` is the candidate's: its LLM_MODEL_<STEP> and PROMPTS_DIR are the candidate's; everything else is the deployment's. */
export async function evaluateCandidate(config: Config, logger: Logger, opts: EvalOptions = {}, kafka: KafkaClient = kafkaClient(config, logger, 'eval')): Promise<EvalReport & { runId: string }> {
  // Read first: a bad prompt folder stops the command (exit 2) before anything is asked.
  const prompts = loadPrompts(config.llm.promptsDir, PROMPT_SPECS);
  const runId = `eval-${randomUUID().slice(0, 8)}`;
  const stored = await readStoredSettings(kafka, config, logger);
  const t = effectiveSettings(config, stored).quality_threshold;
  const threshold = { value: t.value, source: t.source === 'environment' ? 'QUALITY_THRESHOLD' : config.topics.config };
  const reviewed = await readReviewedDocuments({
    kafka, topics: { review: config.topics.review, decisions: config.topics.reviewDecisions }, groupBase: `${config.kafka.groupId}.eval`, logger, limit: opts.limit,
  });

  const limiter = createLimiter(config, logger, redisOptions(config));
  let steps: ChainSteps = [];
  const provider = opts.provider ?? createProvider(config, logger, {
    onRateLimit: (s) => limiter.hold(s.holdMs, s.reason),
    offlineAnswers: (step) => steps.find((s) => s.name === step)?.offline,
  });
  const metrics = createMetrics();
  const pricing = createPricing({ overrides: config.llm.pricesFile ? loadPriceOverrides(config.llm.pricesFile) : undefined, logger });
  const costs = createCostEventProducer({ kafka, topic: config.topics.costEvents, encode: await encoderFor(config, logger, 'eval') });
  const callStep = createStepCaller({
    provider, limiter, pricing, costs, promptVersion: prompts.version, models: config.llm.models,
    maxOutputTokens: config.llm.maxOutputTokens, instanceId: `${config.kafka.instanceId}.${runId}`, logger, metrics, callRetries: config.llm.callRetries,
  });
  const confidenceMode = resolveConfidenceMode(config.llm.confidenceMode, provider, logger, config.llm.models.classify);
  steps = chainSteps({ categories: config.llm.categories, prompts, confidenceMode, logger });
  const chain = createChainRunner({ steps, callStep, logger });

  const candidate = async (doc: Parameters<typeof chain>[0]): Promise<CandidateAnswer> => {
    const out = await chain(doc, { documentId: doc.id, attempt: 1, runId });
    if (!out.ok) {
      return { category: undefined, confidence: undefined, wouldPublish: false, costUsd: totalUsage(out.progress).costUsd, error: `${out.error.code}: ${out.error.message}` };
    }
    const c = out.result.outputs.classification as ClassifyOutput;
    const gate = qualityGate(gateInput(out.result), threshold.value);
    return { category: c.category, confidence: c.confidence ?? undefined, wouldPublish: gate.route === 'enriched', costUsd: out.result.usage.costUsd, model: out.result.model };
  };

  await costs.start();
  try {
    const report = await runEval({
      reviewed, threshold, candidate: { models: Object.values(config.llm.models), promptVersion: prompts.version },
      sides: { primary: (item) => primaryAnswer(item, threshold.value), candidate },
      concurrency: Math.max(1, config.llm.poolSlots), onDone: opts.onProgress,
    });
    logger.info({ runId, documents: report.documents, costUsd: report.candidate.metrics.costUsd }, 'eval: done');
    return { runId, ...report };
  } finally {
    await costs.stop();
    await limiter.stop();
  }
}
