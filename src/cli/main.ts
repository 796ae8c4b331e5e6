#!/usr/bin/env node
/** One command line for the service: `enricher --help`. */
import { Command } from 'commander';
import { createApp } from './app.ts';
import { loadConfig, type Config } from './config.ts';
import { ConfigError } from './errors.ts';
import { createKafka } from './kafka/client.ts';
import { ensureTopics, topicSpecs } from './kafka/topics.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { startHttpEndpoints } from './observability/http.ts';
import { runDemo } from './cli/demo.ts';
import { produceFile } from './cli/produce.ts';
import { registerAggregateCommand } from './cli/aggregate.ts';
import { registerConfigCommands } from './cli/config-cmd.ts';
import { registerCostsCommand } from './cli/costs.ts';
import { registerReplayCommand } from './cli/replay.ts';
import { redrive } from './dlq/redrive.ts';
import { stopOnSignals } from './cli/signals.ts';

function boot(): { config: Config; logger: Logger } {
  try {
    const config = loadConfig();
    return { config, logger: createLogger({ level: config.log.level }) };
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`enricher: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}

const program = new Command()
  .name('enricher')
  .description('Kafka stream processor: documents.raw → LLM chain (extract → summarize → classify) → documents.enriched / documents.review.\nEvery setting comes from the environment; see the README for the table.')
  .showHelpAfterError();

program
  .command('start')
  .description('run the processor (consumes documents.raw and the retry topics)')
  .action(async () => {
    const { config, logger } = boot();
    const app = createApp(config, logger, {
      onFatal: (e) => {
        logger.fatal({ err: e.message, giveUpAfterMs: config.kafka.giveUpAfterMs }, 'exiting: Kafka unreachable for too long');
        process.exit(1);
      },
    });
    let ready = false;
    await startHttpEndpoints({ port: config.metrics.port, metrics: app.metrics, ready: () => ready });
    stopOnSignals({ stop: () => app.stop(), logger, stopping: 'shutting down: finishing in-flight work', stopped: 'stopped cleanly', failed: 'error during shutdown' });
    await app.start();
    ready = true;
  });

program
  .command('topics')
  .description('manage topics')
  .command('create')
  .description('create every topic this service uses (names from the config); existing ones are left alone')
  .action(async () => {
    const { config, logger } = boot();
    const admin = createKafka(config, logger).admin();
    await admin.connect();
    const specs = topicSpecs(config);
    const created = await ensureTopics(admin, specs);
    await admin.disconnect();
    for (const s of specs) process.stdout.write(`${created.includes(s.topic) ? 'created ' : 'exists  '} ${s.topic}\n`);
  });

program
  .command('produce')
  .argument('<file.jsonl>', 'one JSON document per line')
  .option('--run-id <id>', 'ingestion run id, sent as the x-run-id header')
  .description('load documents into documents.raw')
  .action(async (file: string, opts: { runId?: string }) => {
    const { config, logger } = boot();
    const res = await produceFile(createKafka(config, logger), config.topics.raw, file, opts.runId);
    process.stdout.write(`sent ${res.sent} messages to ${config.topics.raw}${res.unparsable ? ` (${res.unparsable} are not valid JSON: they will go to the DLQ)` : ''}\n`);
  });

program
  .command('demo')
  .option('--file <file.jsonl>', 'corpus to load (default: the bundled sample corpus)')
  .description('start the local stack, load the sample corpus, process it with the offline provider and print a summary')
  .action(async (opts: { file?: string }) => {
    const { config } = boot();
    // The demo prints its own progress; the service's info logs would drown it.
    const logger = createLogger({ level: config.log.level === 'info' ? 'warn' : config.log.level });
    await runDemo(config, logger, opts.file ? { file: opts.file } : {});
    process.exit(0);
  });

program
  .command('redrive')
  .description('move DLQ messages back to documents.raw (original key, value and headers, plus x-redrive-count)')
  .option('--code <code>', 'only messages with this x-error-code (e.g. LLM_SERVER_ERROR)')
  .option('--limit <n>', 'at most this many messages', (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--limit must be a positive integer, got "${v}"`);
    return n;
  })
  .option('--dry-run', 'show what would be redriven, change nothing')
  .action(async (opts: { code?: string; limit?: number; dryRun?: boolean }) => {
    const { config, logger } = boot();
    const report = await redrive(
      {
        kafka: createKafka(config, logger),
        dlqTopic: config.topics.dlq,
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

registerAggregateCommand(program, boot);
registerCostsCommand(program, boot);
registerConfigCommands(program, boot);
registerReplayCommand(program, boot);

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`enricher: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
