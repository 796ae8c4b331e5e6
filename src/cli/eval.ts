/**
 * `enricher eval --candidate <model|prompts dir> [--step-model step=model …] [--limit N] [--json [file]]`:
 * runs a candidate chain on the documents reviewers decided and prints, beside the current
 * version's answers, how often each matches the reviewers, the precision of what each would
 * publish at the current threshold, and the cost per 1,000 documents.
 *
 * A candidate that names an existing directory is a prompts folder (PROMPTS_DIR; the models stay
 * the configured ones); anything else is a model name for every step. --step-model gives a step
 * its own model on top. The candidate is applied as settings (config.ts parses them), so it is
 * checked like any configuration: a bad folder exits 2.
 */
import { statSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError } from '../errors.ts';
import { evalJson, formatEvalTable } from '../operations/eval/eval-report.ts';
import { createLogger } from '../observability/logger.ts';
import { evaluateCandidate } from '../processes/evaluation.ts';
import { quietBoot, reportConfigErrors, type Boot } from './boot.ts';

const STEP_VARIABLES: Record<string, string> = { extract: 'LLM_MODEL_EXTRACT', summarize: 'LLM_MODEL_SUMMARIZE', classify: 'LLM_MODEL_CLASSIFY' };

const isDirectory = (path: string) => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

/** The settings that make the candidate: PROMPTS_DIR for a folder, every step's model for a model name, then each --step-model. */
export function candidateSettings(candidate: string, stepModels: readonly string[] = [], isDir: (p: string) => boolean = isDirectory): Record<string, string> {
  if (!candidate.trim()) throw new ConfigError('--candidate needs a model name or a prompts folder');
  const out: Record<string, string> = isDir(candidate)
    ? { PROMPTS_DIR: candidate }
    : { LLM_MODEL: candidate, ...Object.fromEntries(Object.values(STEP_VARIABLES).map((v) => [v, candidate])) };
  for (const s of stepModels) {
    const m = /^([a-z]+)=(.+)$/.exec(s);
    const variable = m ? STEP_VARIABLES[m[1]!] : undefined;
    if (!m || !variable) throw new ConfigError(`--step-model must be <step>=<model> with a step of ${Object.keys(STEP_VARIABLES).join(', ')}, got "${s}"`);
    out[variable] = m[2]!;
  }
  return out;
}

export function parseLimit(input: string | undefined): number | undefined {
  if (input === undefined) return undefined;
  if (!/^\d+$/.test(input) || Number(input) < 1) throw new ConfigError(`--limit must be a whole number of at least 1, got "${input}"`);
  return Number(input);
}

interface EvalCommandOptions {
  candidate: string;
  stepModel?: string[];
  limit?: string;
  /** true: JSON on stdout instead of the table; a path: the table on stdout and the JSON in that file. */
  json?: string | boolean;
}

export function registerEvalCommand(program: Command, boot: Boot): void {
  program
    .command('eval')
    .description('run a candidate (a model, or a prompts folder) on the documents reviewers decided, and compare it with the current answers: accuracy against reviewers, precision at the threshold, cost per 1,000 documents')
    .requiredOption('--candidate <model|dir>', 'a model name (every step), or a folder of prompt files (the configured models)')
    .option('--step-model <step=model>', 'a step\'s own model in the candidate (repeatable)', (v: string, acc: string[] = []) => [...acc, v])
    .option('--limit <n>', 'only the n most recently decided documents')
    .option('--json [file]', 'the whole report as JSON: on stdout instead of the table, or written to the file (the table still printed)')
    .action(async (opts: EvalCommandOptions) => {
      await reportConfigErrors(async () => {
        const limit = parseLimit(opts.limit);
        const { config, logger: quiet } = quietBoot(() => boot(candidateSettings(opts.candidate, opts.stepModel)));
        // With the JSON on stdout, log lines (a price warning) go to stderr, so that stdout stays one JSON document.
        const logger = opts.json === true ? createLogger({ level: quiet.level, destination: process.stderr }) : quiet;
        const report = await evaluateCandidate(config, logger, { limit });
        if (opts.json === true) {
          process.stdout.write(evalJson(report));
          return;
        }
        process.stdout.write(formatEvalTable(report));
        process.stdout.write(`candidate calls: run id ${report.runId} on ${config.topics.costEvents} (enricher costs --by run)\n`);
        if (typeof opts.json === 'string') writeFileSync(opts.json, evalJson(report));
      });
    });
}
