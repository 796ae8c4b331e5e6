/** The cost aggregator in this process on a test's topics: started now, aborted when the test ends. */
import { onTestFinished } from 'vitest';
import type { Config } from '../../src/config.ts';
import { createCostAggregator, type CostAggregator } from '../../src/costs/aggregator.ts';
import type { KafkaClient } from '../../src/kafka/client.ts';
import { testLogger } from './logger.ts';

export async function startTestAggregator(config: Config, kafka: KafkaClient, budgetUsd: () => number | undefined = () => undefined): Promise<CostAggregator> {
  const a = createCostAggregator({ kafka, config, budgetUsd, logger: testLogger() });
  // Aborting one that was fenced, or already stopped, may fail: the test has its answer by then.
  onTestFinished(() => a.abort().catch(() => undefined));
  await a.start();
  return a;
}
