/**
 * The cost aggregator (`enricher aggregate-costs`), wired: llm.cost-events summed into
 * llm.costs.daily, with budget alerts against the live daily budget (pipeline.config, else
 * DAILY_BUDGET_USD), in the one start/stop sequence of the three processes (lifecycle.ts).
 */
import type { Config } from '../config.ts';
import { createCostAggregator, type CostAggregator } from '../costs/aggregator.ts';
import type { SetupError } from '../errors.ts';
import type { KafkaClient } from '../kafka/client.ts';
import type { Logger } from '../observability/logger.ts';
import { createRuntimeSettings } from '../settings/runtime-settings.ts';
import { createSettingsFollower } from '../settings/settings-follower.ts';
import { kafkaClient, registryClient } from './clients.ts';
import { part, processRun } from './lifecycle.ts';

export interface CostAggregatorProcess {
  readonly aggregator: CostAggregator;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createCostAggregatorProcess(config: Config, logger: Logger, o: { kafka?: KafkaClient; onAccessDenied?: (e: SetupError) => void } = {}): CostAggregatorProcess {
  const kafka = o.kafka ?? kafkaClient(config, logger, 'cost-aggregator', o.onAccessDenied ? { onAccessDenied: o.onAccessDenied } : {});
  const registry = registryClient(config, logger);
  const settings = createRuntimeSettings({ qualityThreshold: config.processing.qualityThreshold, dailyBudgetUsd: config.budget.dailyUsd });
  const follower = createSettingsFollower({ kafka, config, settings, logger });
  const aggregator = createCostAggregator({ kafka, config, budgetUsd: () => settings.dailyBudgetUsd(), logger, ...(registry ? { encode: registry.encode } : {}) });
  const run = processRun({
    command: 'aggregate-costs', config, logger, kafka, registry,
    parts: [part('settings', follower), part('cost aggregator', aggregator)],
  });
  return { aggregator, start: () => run.start(), stop: () => run.stop() };
}
