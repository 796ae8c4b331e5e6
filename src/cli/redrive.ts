/** `enricher redrive`: DLQ messages back to documents.raw, each at most MAX_REDRIVES times. */
import type { Command } from 'commander';
import { kafkaClient } from '../processes/clients.ts';
import { redriveMarkerTopic } from '../kafka/topics.ts';
import { redrive } from '../operations/redrive.ts';
import type { Boot } from './boot.ts';

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--limit must be a positive integer, got "${v}"`);
  return n;
}

export function registerRedriveCommand(program: Command, boot: Boot): void {
  program
    .command('redrive')
    .description('move DLQ messages back to documents.raw (original key, value and headers, plus x-redrive-count)')
    .option('--code <code>', 'only messages with this x-error-code (e.g. LLM_SERVER_ERROR)')
    .option('--limit <n>', 'at most this many messages', positiveInt)
    .option('--dry-run', 'show what would be redriven, change nothing')
    .action(async (opts: { code?: string; limit?: number; dryRun?: boolean }) => {
      const { config, logger } = boot();
      const report = await redrive(
        {
          kafka: kafkaClient(config, logger, ''),
          dlqTopic: config.topics.dlq,
          markerTopic: redriveMarkerTopic(config),
          rawTopic: config.topics.raw,
          transactionalId: `${config.kafka.groupId}.redrive`,
          logger,
          progress: (done, total) => process.stdout.write(`  redriven ${done}/${total}\n`),
        },
        { code: opts.code, limit: opts.limit, maxRedrives: config.retry.maxRedrives, dryRun: opts.dryRun ?? false },
      );
      process.stdout.write(
        `${opts.dryRun ? `dry run: would redrive ${report.selected}; ` : ''}scanned ${report.scanned} DLQ messages: redriven ${report.redriven}, ` +
          `already redriven ${report.alreadyRedriven}, other codes ${report.skippedByCode}, refused ${report.refused.length}\n`,
      );
      for (const r of report.refused) {
        process.stdout.write(`  refused ${r.key ?? '(no key)'} (${r.code ?? 'no code'}): redriven ${r.redriveCount} times already (MAX_REDRIVES=${config.retry.maxRedrives})\n`);
      }
    });
}
