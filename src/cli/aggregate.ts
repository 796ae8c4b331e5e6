/** `enricher aggregate-costs`: the cost aggregator as its own process (and, in-process, for the demo). */
import type { Command } from 'commander';
import type { Config } from '../config.ts';
import type { DailyCost } from '../contracts/index.ts';
import { createCostAggregator, type CostAggregator } from '../costs/aggregator.ts';
import { loadDailyCosts } from '../costs/report.ts';
import { createKafka, type KafkaClient } from '../kafka/client.ts';
import { createRegistrySerde } from '../kafka/registry/schema-registry.ts';
import { ownedSubjects } from '../kafka/registry/subjects.ts';
import { ensureTopics, topicSpecs } from '../kafka/topics.ts';
import type { Logger } from '../observability/logger.ts';
import { createRuntimeSettings } from '../settings/runtime-settings.ts';
import { createConfigTopicReader } from '../settings/config-reader.ts';
import type { Boot } from './boot.ts';
import { exitOnSetupError } from './preflight.ts';
import { stopOnSignals } from './signals.ts';
import { sleep } from '../util/sleep.ts';

export interface RunningAggregator {
  readonly aggregator: CostAggregator;
  stop(): Promise<void>;
}

/** Starts the aggregator with a live daily budget (pipeline.config, else DAILY_BUDGET_USD) for its alerts. */
export async function startAggregator(config: Config, logger: Logger, kafka: KafkaClient = createKafka(config, logger, '-cost-aggregator')): Promise<RunningAggregator> {
  // With a schema registry, its subjects are registered before anything is written.
  const registry = config.schemaRegistry.url ? createRegistrySerde(config, logger) : undefined;
  await registry?.prepare(ownedSubjects(config));
  const admin = kafka.admin();
  await admin.connect();
  try {
    const wanted = new Set([config.topics.costEvents, config.topics.costsDaily, config.topics.budgetAlerts, config.topics.config]);
    await ensureTopics(admin, topicSpecs(config).filter((s) => wanted.has(s.topic)));
  } finally {
    await admin.disconnect();
  }
  const settings = createRuntimeSettings({ qualityThreshold: config.processing.qualityThreshold, dailyBudgetUsd: config.budget.dailyUsd });
  const reader = createConfigTopicReader({ kafka, config, settings, logger });
  await reader.start();
  const aggregator = createCostAggregator({ kafka, config, budgetUsd: () => settings.dailyBudgetUsd(), logger, ...(registry ? { encode: registry.encode } : {}) });
  try {
    await aggregator.start();
  } catch (e) {
    await reader.stop();
    throw e;
  }
  return {
    aggregator,
    async stop() {
      try {
        await aggregator.stop();
      } finally {
        await reader.stop();
      }
    },
  };
}

export function registerAggregateCommand(program: Command, boot: Boot): void {
  program
    .command('aggregate-costs')
    .description('sum llm.cost-events into llm.costs.daily (per UTC day and model; by step, run and instance) and raise budget alerts; one instance at a time')
    .action(async () => {
      const { config, logger } = boot();
      // A missing ACL found while it runs (a flush, its group) ends it with one line naming it.
      const kafka = createKafka(config, logger, '-cost-aggregator', { onAccessDenied: (e) => exitOnSetupError(e, logger) });
      let running: RunningAggregator;
      try {
        running = await startAggregator(config, logger, kafka);
      } catch (e) {
        exitOnSetupError(e, logger);
        throw e;
      }
      stopOnSignals({
        stop: () => running.stop(),
        logger,
        stopping: 'cost aggregator: flushing and stopping',
        failed: 'cost aggregator: the last flush failed; the next start redoes it',
      });
      running.aggregator.failed.catch(() => process.exit(1));
    });
}

async function aggregatorIsRunning(kafka: KafkaClient, groupId: string): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    return groups.some((g) => g.members.length > 0);
  } catch {
    return false;
  } finally {
    await admin.disconnect();
  }
}

function runCalls(records: readonly DailyCost[], runId: string): number {
  return records.reduce((n, r) => n + (r.by_run[runId]?.calls ?? 0), 0);
}

/**
 * The demo's aggregator: one in this process, unless `enricher aggregate-costs` already runs
 * (a second aggregator would fence it); then the demo waits for that one's totals instead.
 */
export async function startDemoAggregator(config: Config, logger: Logger): Promise<{ waitForRun(runId: string, calls: number, timeoutMs: number): Promise<boolean>; stop(): Promise<void> }> {
  const kafka = createKafka(config, logger, '-demo-costs');
  const running = (await aggregatorIsRunning(kafka, config.costs.aggregatorGroupId)) ? undefined : await startAggregator(config, logger, kafka);
  const current = async () =>
    running ? running.aggregator.totals() : loadDailyCosts(kafka, config.topics.costsDaily, `${config.kafka.groupId}.demo`, logger);
  return {
    async waitForRun(runId, calls, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (runCalls(await current(), runId) < calls) {
        if (Date.now() > deadline) return false;
        await sleep(running ? 100 : 1000);
      }
      return true;
    },
    stop: async () => running?.stop(),
  };
}
