/**
 * The composition root of the processor: builds every part from the config and wires them
 * together. Nothing else constructs clients; tests build the same graph with other parts.
 */
import type { Config } from './config.ts';
import type { EnricherError } from './errors.ts';
import { createStepCaller } from './llm/chain/call-step.ts';
import { createClassifyStep } from './llm/chain/classify.ts';
import { resolveConfidenceMode } from './llm/chain/confidence.ts';
import { createProvider, type ProviderWithProbe } from './llm/providers/create-provider.ts';
import { createExtractStep } from './llm/chain/extract.ts';
import { createCache } from './llm/cache/create-cache.ts';
import { createInstanceLimiter, createLimiter } from './llm/limiter/create-limiter.ts';
import type { LlmLimiter } from './llm/limiter/limiter.ts';
import { createPricing, loadPriceOverrides } from './llm/pricing.ts';
import { PROMPT_VERSION } from './llm/chain/prompts.ts';
import type { ResultCache } from './llm/cache/result-cache.ts';
import { createChainRunner } from './llm/chain/run-chain.ts';
import { createSummarizeStep } from './llm/chain/summarize.ts';
import { createDocumentHandler, type Route } from './pipeline/document-handler.ts';
import { createIntakeControl, type IntakeControl } from './guards/intake-control.ts';
import { createPartitionedProcessor, type PartitionedProcessor } from './engine/partitioned-processor.ts';
import type { CostEvent } from './contracts/index.ts';
import { createKafka, type KafkaClient } from './kafka/client.ts';
import { redisConnectionOptions } from './llm/redis-client.ts';
import { ensureTopics, topicSpecs } from './kafka/topics.ts';
import { createTransactionalCommitter } from './kafka/transactional-committer.ts';
import type { Logger } from './observability/logger.ts';
import { createMetrics, type Metrics } from './observability/metrics.ts';
import { createCostEventProducer } from './costs/cost-event-producer.ts';
import { createRuntimeSettings, type MutableRuntimeSettings } from './settings/runtime-settings.ts';
import { createServiceGuard } from './guards/service-guard.ts';
import { createRegistryGuard } from './guards/registry-guard.ts';
import { createOutageGuard } from './guards/outage-guard.ts';
import { retryTopics } from './kafka/topics.ts';
import { Headers } from './contracts/index.ts';
import { headerString, plainJson } from './kafka/serde.ts';
import { createRegistrySerde, type RegistrySerde } from './kafka/registry/schema-registry.ts';
import { ownedSubjects } from './kafka/registry/subjects.ts';
import { createBudgetEnforcement, type BudgetEnforcement } from './guards/budget-enforcement.ts';
import { createConfigTopicReader } from './settings/config-reader.ts';
import { createRedisOutageGuard } from './guards/redis-outage-guard.ts';
import { createDlqStormGuard, type DlqStormGuard } from './guards/dlq-storm-guard.ts';
import { createAlertChannel } from './guards/pipeline-alerts.ts';
import type { Readiness } from './observability/http.ts';

export interface AppOverrides {
  provider?: ProviderWithProbe;
  limiter?: LlmLimiter;
  cache?: ResultCache;
  /** Defaults to PROMPT_VERSION; tests run a "new" version to show that it pays again. */
  promptVersion?: string;
  kafka?: KafkaClient;
  metrics?: Metrics;
  onCostEvent?: (e: CostEvent) => void;
  onRouted?: (route: Route, documentId: string | undefined) => void;
  /**
   * The broker stayed unreachable past BROKER_GIVE_UP_AFTER, or refused an operation for a
   * missing ACL (a SetupError, logged here): the CLI exits non-zero.
   */
  onFatal?: (error: Error) => void;
  /** Defaults to one built from SCHEMA_REGISTRY_URL (none without it). */
  registry?: RegistrySerde;
}

export interface App {
  readonly config: Config;
  readonly settings: MutableRuntimeSettings;
  readonly intake: IntakeControl;
  readonly metrics: Metrics;
  readonly provider: ProviderWithProbe;
  readonly raw: PartitionedProcessor;
  readonly retry: PartitionedProcessor;
  readonly budget: BudgetEnforcement;
  readonly storm: DlqStormGuard;
  /** Not ready while starting, or while anything holds intake (Redis away, a DLQ storm, the budget…), with why. */
  readiness(): Readiness;
  /** With SCHEMA_REGISTRY_URL: the registry every value is encoded with. */
  readonly registry: RegistrySerde | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createApp(config: Config, logger: Logger, o: AppOverrides = {}): App {
  const metrics = o.metrics ?? createMetrics();
  // A missing ACL found in the background (a commit, a group join) stops the processor: one line names it.
  let denied = false;
  const kafka = o.kafka ?? createKafka(config, logger, '', {
    onAccessDenied: (e) => {
      if (denied) return;
      denied = true;
      logger.fatal({ code: e.code, setting: e.setting }, e.message);
      o.onFatal?.(e);
    },
  });
  const redisOptions = redisConnectionOptions(config.llm);
  const settings = createRuntimeSettings({ qualityThreshold: config.processing.qualityThreshold, dailyBudgetUsd: config.budget.dailyUsd });
  const intake = createIntakeControl((reason, paused, detail) => {
    metrics.paused.set({ reason }, paused ? 1 : 0);
    logger.info({ reason, paused, detail }, paused ? 'intake paused' : 'intake resumed');
  });
  // Without a registry every value is plain JSON, as before.
  const registry = o.registry ?? (config.schemaRegistry.url ? createRegistrySerde(config, logger) : undefined);
  const encode = registry?.encode ?? plainJson;
  const pool = o.limiter ?? createLimiter(config, logger, redisOptions);
  // Redis away is the service's condition, never a document's: pause, or a local pool (REDIS_OUTAGE).
  const redis = pool.store
    ? createRedisOutageGuard({
      shared: { ...pool, store: pool.store }, mode: config.llm.redisOutage, intake, logger,
      fallback: config.llm.redisOutage === 'local' ? createInstanceLimiter(config, logger) : undefined,
      onAvailability: (up) => metrics.redisAvailable.set(up ? 1 : 0),
    })
    : undefined;
  const limiter = redis?.limiter ?? pool;
  const provider = o.provider ?? createProvider(config, logger, (s) => limiter.hold(s.holdMs, s.reason));
  const pricing = createPricing({
    overrides: config.llm.pricesFile ? loadPriceOverrides(config.llm.pricesFile) : undefined,
    logger,
    onFallback: (model) => metrics.priceFallbacks.inc({ model }),
  });
  // Runtime settings follow pipeline.config; the budget guard holds calls once the day's spend reaches the budget.
  const configReader = createConfigTopicReader({ kafka, config, settings, logger });
  const budget = createBudgetEnforcement({ kafka, config, settings, intake, logger });
  const costs = createCostEventProducer({
    kafka, topic: config.topics.costEvents, encode,
    onEmitted: (e) => {
      budget.guard.recordOwn(e);
      o.onCostEvent?.(e);
    },
  });
  const cache = o.cache ?? createCache(config, logger, redisOptions, (n) => metrics.llmCacheUnwritten.inc(n));
  const promptVersion = o.promptVersion ?? PROMPT_VERSION;
  const callStep = createStepCaller({
    provider, limiter: budget.guard.gateLimiter(limiter), pricing, costs, cache, promptVersion,
    maxOutputTokens: config.llm.maxOutputTokens, instanceId: config.kafka.instanceId, logger, metrics,
    beforeCall: (ctx) => budget.guard.beforeCall(ctx), callRetries: config.llm.callRetries,
  });
  const chain = createChainRunner({
    extract: createExtractStep(callStep),
    summarize: createSummarizeStep(callStep),
    classify: createClassifyStep(callStep, config.llm.categories, {
      confidenceMode: resolveConfidenceMode(config.llm.confidenceMode, provider, logger), logger,
    }),
    logger,
  });
  const outage = createOutageGuard({ intake, window: config.retry.outageWindow, failureRatio: config.retry.outageFailureRatio, logger });
  const alerts = createAlertChannel({ kafka, topic: config.topics.alerts, groupBase: config.kafka.groupId, instanceId: config.kafka.instanceId, logger, encode });
  const storm = createDlqStormGuard({
    window: config.retry.dlqStormWindow, share: config.retry.dlqStormShare, cooldownMs: config.retry.dlqStormCooldownMs, intake, logger,
    onTrip: (a) => {
      metrics.dlqStorms.inc();
      const alert = {
        kind: 'dlq-storm' as const, source: config.kafka.instanceId, raised_at: new Date().toISOString(), message: 'intake stopped: most recent documents were dead-lettered for reasons that are not their input',
        dead_lettered: a.deadLettered, window: a.window, share: a.share, codes: a.codes, cooldown_ms: a.cooldownMs,
      };
      alerts.raise(alert).catch((e: unknown) => logger.error({ err: (e as Error).message, topic: config.topics.alerts }, 'could not write the DLQ storm alert'));
    },
  });
  alerts.onResume((a) => storm.resume('operator', a.source));
  const handler = createDocumentHandler({
    config, chain, settings, provider: provider.name, promptVersion, logger, metrics,
    onChainOutcome: (ok, error) => outage.record(ok, error),
    outageDeclared: () => outage.declared,
    deadLetters: storm,
    encode,
    ...(registry ? { decodeRaw: (bytes: Buffer | null) => registry.decodeRaw(bytes) } : {}),
  });
  const registryGuard = registry ? createRegistryGuard({ registry, intake, intervalMs: config.retry.serviceProbeIntervalMs, logger }) : undefined;
  // The LLM API's guard; the conditions other guards watch are waited out there, by error code.
  const guard = createServiceGuard({
    intake, probe: () => provider.probe(), intervalMs: config.retry.serviceProbeIntervalMs, logger,
    waits: {
      DLQ_STORM: (_e, id) => storm.waitForResume(id),
      ...(redis ? { REDIS_UNAVAILABLE: (_e: EnricherError, id: string) => redis.waitUntilAvailable(id) } : {}),
      ...(registryGuard ? { REGISTRY_UNAVAILABLE: (e: EnricherError, id: string) => registryGuard.waitOutServiceError(e, id) } : {}),
    },
  });
  const processorOptions = {
    sessionTimeoutMs: config.kafka.sessionTimeoutMs,
    heartbeatIntervalMs: config.kafka.heartbeatIntervalMs,
    giveUpAfterMs: config.kafka.giveUpAfterMs,
    maxInFlight: config.processing.maxInFlight,
    maxPendingBytes: config.processing.maxPendingBytes,
    flushIntervalMs: config.processing.flushIntervalMs,
    flushMaxMessages: config.processing.flushMaxMessages,
    shutdownTimeoutMs: config.processing.shutdownTimeoutMs,
  };
  const raw = createPartitionedProcessor({
    name: 'raw',
    kafka,
    groupId: config.kafka.groupId,
    topics: [config.topics.raw],
    handle: (r, abandoned) => handler.handleRaw(r, abandoned),
    waitOutServiceError: (e, id) => guard.waitOutServiceError(e, id),
    committer: createTransactionalCommitter({ kafka, groupId: config.kafka.groupId, logger }),
    intake,
    options: processorOptions,
    logger,
    metrics,
    ...(o.onRouted ? { onRouted: o.onRouted } : {}),
    ...(o.onFatal ? { onFatal: o.onFatal } : {}),
  });
  // Retries have their own group, so that replaying documents.raw (a reset of the main
  // group's offsets) leaves pending retries alone. A declared LLM outage pauses them too: a
  // retry made then would only spend the document's attempts (outage-guard.ts).
  const retryGroupId = `${config.kafka.groupId}.retry`;
  const retry = createPartitionedProcessor({
    name: 'retry',
    kafka,
    groupId: retryGroupId,
    topics: retryTopics(config).map((r) => r.topic),
    handle: (r, abandoned) => handler.handleRetry(r, abandoned),
    waitOutServiceError: (e, id) => guard.waitOutServiceError(e, id),
    committer: createTransactionalCommitter({ kafka, groupId: retryGroupId, logger }),
    intake,
    pauseOn: ['budget', 'service-error', 'redis', 'dlq-storm', 'outage'],
    dueAt: (m) => {
      const due = Number(headerString(m.headers as Record<string, unknown>, Headers.dueAt));
      return Number.isFinite(due) && due > 0 ? due : undefined;
    },
    options: processorOptions,
    logger,
    metrics,
    ...(o.onRouted ? { onRouted: o.onRouted } : {}),
    ...(o.onFatal ? { onFatal: o.onFatal } : {}),
  });

  let started = false;
  return {
    config, settings, intake, metrics, provider, raw, retry, budget, storm, registry,
    readiness() {
      const why = intake.status().map((p) => `${p.reason} since ${p.since}${p.detail ? `: ${p.detail}` : ''}`);
      if (!started) why.unshift('starting');
      return { ready: why.length === 0, why };
    },
    async start() {
      // First, before anything is written: a contract the registry refuses stops the start here.
      if (registry) {
        await registry.prepare(ownedSubjects(config));
        logger.info({ registry: registry.url, subjects: ownedSubjects(config).map((s) => s.subject) }, 'schema registry: every value is written in the wire format');
      }
      const admin = kafka.admin();
      await admin.connect();
      try {
        // Every topic the processor uses; the review console's own are the console's to create.
        const consoles = new Set([config.topics.rejected, config.topics.reviewDecisions]);
        const created = await ensureTopics(admin, topicSpecs(config).filter((s) => !consoles.has(s.topic)));
        if (created.length) logger.info({ topics: created }, 'created missing topics');
      } finally {
        await admin.disconnect();
      }
      logger.info(
        { provider: provider.name, model: provider.model, poolSlots: config.llm.poolSlots, pool: limiter.scope, group: config.kafka.groupId, input: config.topics.raw },
        'starting processor',
      );
      if (limiter.scope === 'local') logger.info({ slots: config.llm.poolSlots }, 'LLM pool is per instance (set REDIS_URL to share one pool across instances)');
      await configReader.start();
      await budget.start();
      await costs.start();
      await alerts.start();
      await redis?.start();
      await raw.start();
      await retry.start();
      started = true;
    },
    async stop() {
      guard.stop();
      registryGuard?.stop();
      outage.stop();
      storm.stop();
      redis?.stop();
      await Promise.all([raw.stop(), retry.stop()]);
      await costs.stop();
      await budget.stop();
      await configReader.stop();
      await alerts.stop();
      await limiter.stop();
      // Only a cache the app built is closed here; an injected one belongs to its owner.
      if (!o.cache) await cache?.close?.();
    },
  };
}
