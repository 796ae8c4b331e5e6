/**
 * The processor's budget parts in one piece for the composition root: the live view of
 * llm.costs.daily and the guard that reads it.
 */
import type { Config } from '../../config.ts';
import type { IntakeControl } from '../../guards/intake-control.ts';
import type { KafkaClient } from '../../kafka/client.ts';
import type { Logger } from '../../observability/logger.ts';
import type { MutableRuntimeSettings } from '../../settings/runtime-settings.ts';
import { createBudgetGuard, type BudgetGuard } from './budget-guard.ts';
import { createDailyCostView } from '../daily-cost-view.ts';
import type { Pico } from '../money.ts';

export interface BudgetEnforcement {
  readonly guard: BudgetGuard;
  /** The day's aggregated spend of shadow candidates (llm.costs.daily), every instance's. */
  shadowSpend(day: string): Pico;
  /** Resolves once the day's aggregated spend is known (or the view timed out, with a warning). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createBudgetEnforcement(deps: {
  kafka: KafkaClient;
  config: Pick<Config, 'topics' | 'kafka'>;
  settings: MutableRuntimeSettings;
  intake: IntakeControl;
  logger: Logger;
}): BudgetEnforcement {
  const { config } = deps;
  const view = createDailyCostView({
    kafka: deps.kafka, topic: config.topics.costsDaily, groupBase: config.kafka.groupId, instanceId: config.kafka.instanceId, logger: deps.logger,
  });
  const guard = createBudgetGuard({ settings: deps.settings, intake: deps.intake, spendSource: view, instanceId: config.kafka.instanceId, logger: deps.logger });
  view.onChange(() => guard.evaluate());
  return {
    guard,
    shadowSpend: (day) => view.spend(day, config.kafka.instanceId).shadow,
    async start() {
      await view.start();
      guard.start();
    },
    async stop() {
      guard.stop();
      await view.stop();
    },
  };
}
