/**
 * The processor (`enricher start`), wired: its clients, runtime settings and intake switch, the
 * budget, the LLM side (processor-llm.ts), the guards (processor-guards.ts), the document
 * handler, and the two partition engines (documents.raw and the retry topics), started and
 * stopped in the one sequence of the three processes (lifecycle.ts). Tests build the same
 * graph with other parts through the overrides.
 */
import type { Config } from '../config.ts';
import type { CostEvent } from '../contracts/index.ts';
import { createBudgetEnforcement, type BudgetEnforcement } from '../costs/budget/budget-enforcement.ts';
import type { DlqStormGuard } from '../guards/dlq-storm-guard.ts';
import { createIntakeControl, type IntakeControl } from '../guards/intake-control.ts';
import type { KafkaClient } from '../kafka/client.ts';
import type { RegistrySerde } from '../kafka/registry/schema-registry.ts';
import { plainJson } from '../kafka/serde.ts';
import type { ProviderWithProbe } from '../llm/providers/create-provider.ts';
import type { Readiness } from '../observability/http.ts';
import type { Logger } from '../observability/logger.ts';
import { createMetrics, type Metrics } from '../observability/metrics.ts';
import { createTelemetry } from '../observability/tracing/telemetry.ts';
import { createDocumentHandler, type Route } from '../pipeline/document-handler.ts';
import { createSettingsFollower } from '../settings/settings-follower.ts';
import { createRuntimeSettings, type MutableRuntimeSettings } from '../settings/runtime-settings.ts';
import type { PartitionedProcessor } from '../engine/partitioned-processor.ts';
import { kafkaClient, registryClient } from './clients.ts';
import { part, processRun } from './lifecycle.ts';
import { createProcessorEngines } from './processor-engines.ts';
import { createProcessorGuards } from './processor-guards.ts';
import { createProcessorLlm, type ProcessorLlmOverrides } from './processor-llm.ts';
import { createProcessorShadow } from './processor-shadow.ts';
import type { ShadowRunner } from '../pipeline/shadow/shadow-runner.ts';

export interface ProcessorOverrides extends ProcessorLlmOverrides {
  kafka?: KafkaClient;
  metrics?: Metrics;
  onRouted?: (route: Route, documentId: string | undefined) => void;
  /**
   * The broker stayed unreachable past BROKER_GIVE_UP_AFTER, or refused an operation for a
   * missing ACL (a SetupError, logged here): the CLI exits non-zero.
   */
  onFatal?: (error: Error) => void;
  /** Defaults to one built from SCHEMA_REGISTRY_URL (none without it). */
  registry?: RegistrySerde;
  /** Told of every shadow cost event (SHADOW_MODEL). */
  onShadowCostEvent?: (e: CostEvent) => void;
}

export interface Processor {
  readonly config: Config;
  readonly settings: MutableRuntimeSettings;
  readonly intake: IntakeControl;
  readonly metrics: Metrics;
  readonly provider: ProviderWithProbe;
  readonly raw: PartitionedProcessor;
  readonly retry: PartitionedProcessor;
  readonly budget: BudgetEnforcement;
  readonly storm: DlqStormGuard;
  /** The shadow candidate (SHADOW_MODEL / SHADOW_PROMPTS_DIR); undefined without one. */
  readonly shadow: ShadowRunner | undefined;
  /** Not ready while starting, or while anything holds intake (Redis away, a DLQ storm, the budget…), with why. */
  readiness(): Readiness;
  /** With SCHEMA_REGISTRY_URL: the registry every value is encoded with. */
  readonly registry: RegistrySerde | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createProcessor(config: Config, logger: Logger, o: ProcessorOverrides = {}): Processor {
  const metrics = o.metrics ?? createMetrics();
  // A missing ACL found in the background (a commit, a group join) stops the processor: one line names it.
  let denied = false;
  const kafka = o.kafka ?? kafkaClient(config, logger, '', {
    onAccessDenied: (e) => {
      if (denied) return;
      denied = true;
      logger.fatal({ code: e.code, setting: e.setting }, e.message);
      o.onFatal?.(e);
    },
  });
  const settings = createRuntimeSettings({ qualityThreshold: config.processing.qualityThreshold, dailyBudgetUsd: config.budget.dailyUsd });
  const intake = createIntakeControl((reason, paused, detail) => {
    metrics.paused.set({ reason }, paused ? 1 : 0);
    logger.info({ reason, paused, detail }, paused ? 'intake paused' : 'intake resumed');
  });
  // Without a registry every value is plain JSON.
  const registry = o.registry ?? registryClient(config, logger);
  const encode = registry?.encode ?? plainJson;
  // Runtime settings follow pipeline.config; the budget holds calls once the day's spend reaches it.
  const settingsFollower = createSettingsFollower({ kafka, config, settings, logger });
  const budget = createBudgetEnforcement({ kafka, config, settings, intake, logger });
  metrics.live.setBudget(() => budget.guard.status());
  const llm = createProcessorLlm({ config, logger, metrics, kafka, intake, budget, encode, o });
  // Traces and OTLP metrics, only with OTEL_EXPORTER_OTLP_ENDPOINT: otherwise nothing is loaded.
  const telemetry = createTelemetry({ config, instanceId: config.kafka.instanceId, registry: metrics.registry, logger });
  const shadow = createProcessorShadow({ config, logger, metrics, kafka, encode, llm, budget, onCostEvent: o.onShadowCostEvent });
  const guards = createProcessorGuards({ config, logger, metrics, kafka, intake, provider: llm.provider, redis: llm.redis, registry, encode });
  const handler = createDocumentHandler({
    config, chain: llm.chain, settings, provider: llm.provider.name, promptVersion: llm.promptVersion, logger, metrics,
    onChainOutcome: (ok, error) => guards.outage.record(ok, error),
    outageDeclared: () => guards.outage.declared,
    deadLetters: guards.storm,
    encode,
    tracing: telemetry.tracing,
    ...(shadow ? { onRouted: (r: Parameters<ShadowRunner['offer']>[0]) => shadow.offer(r) } : {}),
    ...(registry ? { decodeRaw: (bytes: Buffer | null) => registry.decodeRaw(bytes) } : {}),
  });
  const engines = createProcessorEngines({ config, logger, metrics, kafka, intake, handler, service: guards.service, onRouted: o.onRouted, onFatal: o.onFatal });

  let started = false;
  const run = processRun({
    command: 'start', config, logger, kafka, registry,
    parts: [
      // Started first and stopped last: the engines' final commits end spans that must still be exported.
      part('telemetry', telemetry),
      part('settings', settingsFollower),
      part('budget', budget),
      part('cost events', llm.costs),
      part('pipeline.alerts', guards.alerts),
      { name: 'llm', start: async () => logStart(), stop: () => llm.close() },
      // Stopped after the engines (their last results may still reach it) and before the pool and the cost events.
      ...(shadow ? [part('shadow', shadow)] : []),
      engines,
      // Stopped first: documents held for a condition are handed back before the engines stop.
      { name: 'guards', start: async () => undefined, stop: async () => guards.release() },
    ],
  });

  async function logStart(): Promise<void> {
    const { limiter, provider } = llm;
    logger.info(
      { provider: provider.name, model: provider.model, poolSlots: config.llm.poolSlots, pool: limiter.scope, group: config.kafka.groupId, input: config.topics.raw },
      'starting processor',
    );
    if (limiter.scope === 'local') logger.info({ slots: config.llm.poolSlots }, 'LLM pool is per instance (set REDIS_URL to share one pool across instances)');
    await llm.redis?.start();
  }

  return {
    config, settings, intake, metrics, provider: llm.provider, raw: engines.raw, retry: engines.retry, budget, storm: guards.storm, registry, shadow,
    readiness() {
      const why = intake.status().map((p) => `${p.reason} since ${p.since}${p.detail ? `: ${p.detail}` : ''}`);
      if (!started) why.unshift('starting');
      return { ready: why.length === 0, why };
    },
    async start() {
      await run.start();
      started = true;
    },
    stop: () => run.stop(),
  };
}
