/**
 * `npm run demo`: the whole service on a real broker in one command. Starts the local stack
 * when no broker answers, creates the topics, loads the sample corpus, runs the processor with
 * the offline provider until every document is routed, and prints a summary.
 *
 * The terminal shows only the demo's own progress and summary: the processor's pino log (with
 * KafkaJS's start-up chatter about coordinators and transaction retries) and Node's warnings go
 * to a log file under .local-stack/, named at the end.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { pino } from 'pino';
import { createProcessor, type Processor } from '../processes/processor.ts';
import { startHttpEndpoints } from '../observability/http.ts';
import type { Config } from '../config.ts';
import type { CostEvent } from '../contracts/index.ts';
import { kafkaClient } from '../processes/clients.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { linesToMessages, produceFile } from './produce.ts';
import { ensureBroker } from '../kafka/local-broker.ts';
import { startDemoAggregator } from './aggregate.ts';
import { costsReport } from './costs.ts';
import { formatShadowSummary } from '../processes/processor-shadow.ts';
import type { Boot } from './boot.ts';
import { createProgressLine, type ProgressOutput } from './progress-line.ts';
import { sleep } from '../util/sleep.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const SAMPLE_CORPUS = `${root}data/sample-corpus.jsonl`;
export const DEMO_LOG = `${root}.local-stack/demo.log`;

const fmtUsd = (n: number) => `$${n.toFixed(6)}`;
/** Paths as the user would type them from where they ran the demo. */
const shown = (path: string) => {
  const r = relative(process.cwd(), path);
  return r.startsWith('..') ? path : r;
};

/** A pino logger writing to `path`, emptied first so that the file holds this run only. */
export function fileLogger(level: string, path: string): Logger {
  mkdirSync(dirname(path), { recursive: true });
  // Synchronous writes: the demo ends with process.exit, which would drop a buffered tail.
  return createLogger({ level, destination: pino.destination({ dest: path, append: false, sync: true }) });
}

/** Node's own warnings (a library's deprecation, KafkaJS's timer warning) go to the log, not between the progress lines. */
function logNodeWarnings(logger: Logger): void {
  process.removeAllListeners('warning');
  process.on('warning', (w) => logger.warn({ err: w }, `node warning: ${w.name}`));
}

export interface DemoOptions {
  file?: string;
  out?: ProgressOutput;
  /** Where the logger writes, for the summary to name. */
  logFile?: string;
  /** Keeps the processor (and /metrics, with METRICS_PORT) running after the summary until this settles. */
  holdUntil?: Promise<void>;
}

interface DemoRun {
  routed: Map<string, string>;
  costs: CostEvent[];
  seconds: number;
  aggregated: boolean;
}

const countOf = (routed: Map<string, string>, route: string) => [...routed.values()].filter((v) => v === route).length;

/** Loads the corpus and runs the processor until every document is routed, showing progress on one line. */
async function processCorpus(config: Config, logger: Logger, file: string, ids: ReadonlySet<string>, runId: string, stdout: ProgressOutput, hold: boolean): Promise<DemoRun & { app: Processor }> {
  const progress = createProgressLine(stdout);
  const routed = new Map<string, string>();
  const routedLine = () =>
    `  routed ${routed.size}/${ids.size} documents (enriched ${countOf(routed, 'enriched')}, review ${countOf(routed, 'review')}, dlq ${countOf(routed, 'dlq')})`;
  const costs: CostEvent[] = [];
  const app = createProcessor(config, logger, {
    onRouted: (route, id) => {
      if (id && ids.has(id) && route !== 'retry') routed.set(id, route);
    },
    onCostEvent: (e) => {
      if (e.run_id === runId) costs.push(e);
    },
  });
  try {
    progress.show('  starting the processor and the cost aggregator…');
    await startHttpEndpoints({ port: config.metrics.port, metrics: app.metrics, readiness: () => app.readiness() });
    // The cost aggregator runs alongside, so that the end shows what `enricher costs` prints.
    const aggregator = await startDemoAggregator(config, logger);
    await app.start();
    progress.show(`  loading ${ids.size} documents into ${config.topics.raw}…`);
    const t0 = Date.now();
    await produceFile(kafkaClient(config, logger, 'demo'), config.topics.raw, file, runId);
    const deadline = Date.now() + 10 * 60_000;
    while (routed.size < ids.size && Date.now() < deadline) {
      progress.show(routedLine());
      await sleep(100);
    }
    await app.raw.flush();
    const seconds = (Date.now() - t0) / 1000;
    // A shadow candidate (SHADOW_MODEL) finishes its last comparisons before the processor stops.
    if (app.shadow) {
      progress.show(`  routed ${routed.size}/${ids.size}; the shadow candidate's last comparisons…`);
      await app.shadow.drained(30_000);
    }
    if (!hold) {
      progress.show(`  routed ${routed.size}/${ids.size}; stopping the processor…`);
      await app.stop();
    }
    progress.show(`  routed ${routed.size}/${ids.size}; waiting for the cost totals…`);
    const aggregated = await aggregator.waitForRun(runId, costs.length, 30_000);
    await aggregator.stop();
    return { routed, costs, seconds, aggregated, app };
  } finally {
    // Also on a failure: the error message then starts on a line of its own.
    progress.done(routedLine());
  }
}

export async function runDemo(config: Config, logger: Logger, opts: DemoOptions = {}): Promise<{ enriched: number; review: number; dlq: number; docsPerSec: number }> {
  const stdout = opts.out ?? process.stdout;
  const out = (s: string) => void stdout.write(s);
  const file = opts.file ?? SAMPLE_CORPUS;
  await ensureBroker(config, out);

  const ids = new Set(linesToMessages(readFileSync(file, 'utf8')).messages.map((m) => m.key).filter((k): k is string => k !== null));
  const runId = `demo-${new Date().toISOString()}`;
  out(`Demo run ${runId}: ${ids.size} documents from ${shown(file)}, offline provider, broker ${config.kafka.brokers.join(',')}\n`);
  if (config.metrics.port) out(`/metrics, /healthz and /readyz on http://127.0.0.1:${config.metrics.port}/ while the processor runs\n`);
  const hold = opts.holdUntil !== undefined;
  const { routed, costs, seconds, aggregated, app } = await processCorpus(config, logger, file, ids, runId, stdout, hold);

  const enriched = countOf(routed, 'enriched');
  const review = countOf(routed, 'review');
  const dlq = countOf(routed, 'dlq');
  const docsPerSec = routed.size / seconds;
  const byModel = new Map<string, { calls: number; input: number; output: number; usd: number }>();
  for (const c of costs) {
    const m = byModel.get(c.model) ?? { calls: 0, input: 0, output: 0, usd: 0 };
    m.calls++; m.input += c.input_tokens; m.output += c.output_tokens; m.usd += c.cost_usd;
    byModel.set(c.model, m);
  }
  out(`\nDemo summary (${routed.size}/${ids.size} documents routed in ${seconds.toFixed(1)} s, ${docsPerSec.toFixed(1)} docs/s)\n`);
  out(`  ${config.topics.enriched.padEnd(22)} ${String(enriched).padStart(5)}\n  ${config.topics.review.padEnd(22)} ${String(review).padStart(5)}\n  ${config.topics.dlq.padEnd(22)} ${String(dlq).padStart(5)}\n`);
  out(`\n  ${'model'.padEnd(16)} ${'calls'.padStart(6)} ${'input tok'.padStart(10)} ${'output tok'.padStart(10)} ${'cost USD'.padStart(12)}\n`);
  for (const [model, m] of byModel) {
    out(`  ${model.padEnd(16)} ${String(m.calls).padStart(6)} ${String(m.input).padStart(10)} ${String(m.output).padStart(10)} ${fmtUsd(m.usd).padStart(12)}\n`);
  }
  out(`\n  (offline provider: token counts are real (gpt-tokenizer), prices are ${config.llm.model}'s list prices)\n`);
  out(`\nToday's spend from ${config.topics.costsDaily}, as \`enricher costs\` prints it${aggregated ? '' : ' (the aggregator had not caught up with this run within 30 s)'}:\n`);
  out(await costsReport(config, logger, {}));
  if (app.shadow) {
    const s = app.shadow.stats();
    out(`\n${formatShadowSummary(app.shadow.candidate, s.summary)}\n  (${s.written + s.failed} comparisons on ${config.topics.shadow} of ${s.picked} sampled documents; SHADOW_SAMPLE=${config.shadow?.sample})\n`);
  }
  if (opts.logFile) out(`\nThe processor's log (pino JSON, level ${config.log.level}): ${shown(opts.logFile)}\n`);
  if (hold) {
    out(`\nThe processor keeps running${config.metrics.port ? ` (http://127.0.0.1:${config.metrics.port}/metrics)` : ''} until Ctrl-C\n`);
    await opts.holdUntil;
    await app.stop();
  }
  if (routed.size < ids.size) throw new Error(`only ${routed.size} of ${ids.size} documents were routed within 10 minutes`);
  return { enriched, review, dlq, docsPerSec };
}

export function registerDemoCommand(program: Command, boot: Boot): void {
  program
    .command('demo')
    .option('--file <file.jsonl>', 'corpus to load (default: the bundled sample corpus)')
    .option('--log <file>', `where the processor's log goes (default: ${shown(DEMO_LOG)})`)
    .option('--hold', 'keep the processor running after the summary (with METRICS_PORT, its /metrics too) until Ctrl-C')
    .description('start the local stack, load the sample corpus, process it with the offline provider and print a summary')
    .action(async (opts: { file?: string; log?: string; hold?: boolean }) => {
      // The demo shows the embedded offline provider: no key, no network, real token counts.
      const { config } = boot({ LLM_PROVIDER: 'offline' });
      const logFile = opts.log ?? DEMO_LOG;
      const logger = fileLogger(config.log.level, logFile);
      logNodeWarnings(logger);
      try {
        const holdUntil = opts.hold ? new Promise<void>((r) => ['SIGINT', 'SIGTERM'].forEach((s) => process.once(s, () => r()))) : undefined;
        await runDemo(config, logger, { logFile, ...(opts.file ? { file: opts.file } : {}), ...(holdUntil ? { holdUntil } : {}) });
      } catch (e) {
        logger.error({ err: e }, 'demo failed');
        throw new Error(`${e instanceof Error ? e.message : String(e)} (the processor's log: ${shown(logFile)})`, { cause: e });
      }
      process.exit(0);
    });
}
