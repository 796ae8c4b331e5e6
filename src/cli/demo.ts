/**
 * `npm run demo`: the whole service on a real broker in one command. Starts the local stack
 * when no broker answers, creates the topics, loads the sample corpus, runs the processor with
 * the offline provider until every document is routed, and prints a summary.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { createApp } from '../app.ts';
import type { Config } from '../config.ts';
import type { CostEvent } from '../contracts/index.ts';
import { createKafka } from '../kafka/client.ts';
import type { Logger } from '../observability/logger.ts';
import { linesToMessages, produceFile } from './produce.ts';
import { ensureBroker } from '../kafka/local-broker.ts';
import { startDemoAggregator } from './aggregate.ts';
import { costsReport } from './costs.ts';
import type { Boot } from './boot.ts';
import { createLogger } from '../observability/logger.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const SAMPLE_CORPUS = `${root}data/sample-corpus.jsonl`;

const fmtUsd = (n: number) => `$${n.toFixed(6)}`;

export async function runDemo(config: Config, logger: Logger, opts: { file?: string; out?: (s: string) => void } = {}): Promise<{ enriched: number; review: number; dlq: number; docsPerSec: number }> {
  const out = opts.out ?? ((s: string) => process.stdout.write(s));
  const file = opts.file ?? SAMPLE_CORPUS;
  await ensureBroker(config, out);

  const ids = new Set(linesToMessages(readFileSync(file, 'utf8')).messages.map((m) => m.key).filter((k): k is string => k !== null));
  const runId = `demo-${new Date().toISOString()}`;
  const routed = new Map<string, string>();
  const costs: CostEvent[] = [];
  const app = createApp(config, logger, {
    onRouted: (route, id) => {
      if (id && ids.has(id) && route !== 'retry') routed.set(id, route);
    },
    onCostEvent: (e) => {
      if (e.run_id === runId) costs.push(e);
    },
  });
  // The cost aggregator runs alongside, so that the end shows what `enricher costs` prints.
  const aggregator = await startDemoAggregator(config, logger);
  await app.start();
  const kafka = createKafka(config, logger, '-demo');
  const t0 = Date.now();
  const produced = await produceFile(kafka, config.topics.raw, file, runId);
  out(`Loaded ${produced.sent} documents from ${file} into ${config.topics.raw} (run ${runId})\n`);

  let lastPrint = 0;
  const deadline = Date.now() + 10 * 60_000;
  while (routed.size < ids.size && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    if (Date.now() - lastPrint > 1000) {
      lastPrint = Date.now();
      const s = app.raw.stats();
      const rate = routed.size / Math.max(0.001, (Date.now() - t0) / 1000);
      out(`  routed ${routed.size}/${ids.size}  (enriched ${s.routes.enriched}, review ${s.routes.review}, dlq ${s.routes.dlq})  ${rate.toFixed(1)} docs/s\n`);
    }
  }
  await app.raw.flush();
  const seconds = (Date.now() - t0) / 1000;
  await app.stop();
  const aggregated = await aggregator.waitForRun(runId, costs.length, 30_000);
  await aggregator.stop();

  const count = (r: string) => [...routed.values()].filter((v) => v === r).length;
  const enriched = count('enriched');
  const review = count('review');
  const dlq = count('dlq');
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
  if (routed.size < ids.size) throw new Error(`only ${routed.size} of ${ids.size} documents were routed within 10 minutes`);
  return { enriched, review, dlq, docsPerSec };
}

export function registerDemoCommand(program: Command, boot: Boot): void {
  program
    .command('demo')
    .option('--file <file.jsonl>', 'corpus to load (default: the bundled sample corpus)')
    .description('start the local stack, load the sample corpus, process it with the offline provider and print a summary')
    .action(async (opts: { file?: string }) => {
      // The demo shows the embedded offline provider: no key, no network, real token counts.
      const { config } = boot({ LLM_PROVIDER: 'offline' });
      // The demo prints its own progress; the service's info logs would drown it.
      const logger = createLogger({ level: config.log.level === 'info' ? 'warn' : config.log.level });
      await runDemo(config, logger, opts.file ? { file: opts.file } : {});
      process.exit(0);
    });
}
