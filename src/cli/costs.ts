/** `enricher costs [--day YYYY-MM-DD] [--by model|step|run|tier|purpose]`: the day's spend from llm.costs.daily. */
import type { Command } from 'commander';
import type { Config } from '../config.ts';
import { utcDay } from '../costs/daily-totals.ts';
import { REPORT_BY, formatCostTable, loadDailyCosts, type ReportBy } from '../costs/report.ts';
import { ConfigError } from '../errors.ts';
import type { KafkaClient } from '../kafka/client.ts';
import { kafkaClient } from '../processes/clients.ts';
import { ensureTopicsOf } from '../kafka/topics.ts';
import type { Logger } from '../observability/logger.ts';
import { quietBoot, reportConfigErrors, type Boot } from './boot.ts';
import { effectiveSettings, readStoredSettings } from '../settings/settings-topic.ts';

export function parseDay(input: string | undefined, now = new Date()): string {
  if (input === undefined) return utcDay(now);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(input) || Number.isNaN(Date.parse(`${input}T00:00:00Z`)) || utcDay(`${input}T00:00:00Z`) !== input) {
    throw new ConfigError(`--day must be a date as YYYY-MM-DD (UTC), got "${input}"`);
  }
  return input;
}

export function parseBy(input: string | undefined): ReportBy {
  if (input === undefined) return 'model';
  if (!(REPORT_BY as readonly string[]).includes(input)) throw new ConfigError(`--by must be one of ${REPORT_BY.join(', ')}, got "${input}"`);
  return input as ReportBy;
}

/** The table as `enricher costs` prints it. */
export async function costsReport(config: Config, logger: Logger, opts: { day?: string | undefined; by?: string | undefined }, kafka: KafkaClient = kafkaClient(config, logger, 'costs')): Promise<string> {
  const day = parseDay(opts.day);
  const by = parseBy(opts.by);
  await ensureTopicsOf(kafka, config, 'costs');
  const [records, stored] = await Promise.all([
    loadDailyCosts(kafka, config.topics.costsDaily, `${config.kafka.groupId}.costs-cli`, logger),
    readStoredSettings(kafka, config, logger),
  ]);
  const budget = effectiveSettings(config, stored).daily_budget_usd;
  return formatCostTable({ day, by, records, budgetUsd: budget.value, budgetSource: budget.source === 'environment' ? 'DAILY_BUDGET_USD' : config.topics.config });
}

export function registerCostsCommand(program: Command, boot: Boot): void {
  program
    .command('costs')
    .description('print the LLM spend of a UTC day from llm.costs.daily: calls, tokens, USD and share of the daily budget')
    .option('--day <YYYY-MM-DD>', 'the UTC day (default: today)')
    .option('--by <what>', `group by ${REPORT_BY.join(' | ')}`, 'model')
    .action(async (opts: { day?: string; by?: string }) => {
      const { config, logger } = quietBoot(boot);
      await reportConfigErrors(async () => {
        process.stdout.write(await costsReport(config, logger, opts));
      });
    });
}
