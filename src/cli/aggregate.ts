/** `enricher aggregate-costs`: the cost aggregator as its own process (and, in-process, for the demo). */
import type { Command } from 'commander';
import type { Config } from '../config.ts';
import type { DailyCost } from '../contracts/index.ts';
import { loadDailyCosts } from '../costs/report.ts';
import type { KafkaClient } from '../kafka/client.ts';
import type { Logger } from '../observability/logger.ts';
import { kafkaClient } from '../processes/clients.ts';
import { createCostAggregatorProcess, type CostAggregatorProcess } from '../processes/cost-aggregator.ts';
import type { Boot } from './boot.ts';
import { exitOnSetupError } from './preflight.ts';
import { stopOnSignals } from './signals.ts';
import { sleep } from '../util/sleep.ts';

export function registerAggregateCommand(program: Command, boot: Boot): void {
  program
    .command('aggregate-costs')
    .description('sum llm.cost-events into llm.costs.daily (per UTC day and model; by step, run and instance) and raise budget alerts; one instance at a time')
    .action(async () => {
      const { config, logger } = boot();
      // A missing ACL found while it runs (a flush, its group) ends it with one line naming it.
      const running = createCostAggregatorProcess(config, logger, { onAccessDenied: (e) => exitOnSetupError(e, logger) });
      try {
        await running.start();
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
  const kafka = kafkaClient(config, logger, 'demo-costs');
  let running: CostAggregatorProcess | undefined;
  if (!(await aggregatorIsRunning(kafka, config.costs.aggregatorGroupId))) {
    running = createCostAggregatorProcess(config, logger, { kafka });
    await running.start();
  }
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
