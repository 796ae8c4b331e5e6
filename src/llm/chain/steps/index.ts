/**
 * The chain: its steps, in the order they run. Each is one module with its answer's schema and
 * where its output goes, and a prompt file of its own (prompts/<step>.md, checked against the
 * module's PromptSpec); a new step is its module, its file and a line in each list here.
 */
import type { ConfidenceMode } from '../confidence.ts';
import type { Logger } from '../../../observability/logger.ts';
import { bundledPrompts, type PromptSet, type PromptSpec } from '../prompt-files.ts';
import type { ChainSteps } from '../step.ts';
import { CLASSIFY_PROMPT, classifyStep } from './classify.ts';
import { EXTRACT_PROMPT, extractStep } from './extract.ts';
import { SUMMARIZE_PROMPT, summarizeStep } from './summarize.ts';

/** What each step's prompt file must hold, in the chain's order (the prompt version hashes the files in it). */
export const PROMPT_SPECS: readonly PromptSpec[] = [EXTRACT_PROMPT, SUMMARIZE_PROMPT, CLASSIFY_PROMPT];

export function chainSteps(opts: {
  categories: readonly string[];
  /** The prompts read from PROMPTS_DIR (loadPrompts with PROMPT_SPECS); default the bundled ones. */
  prompts?: PromptSet | undefined;
  confidenceMode?: ConfidenceMode | undefined;
  logger?: Logger | undefined;
}): ChainSteps {
  const prompts = opts.prompts ?? bundledPrompts(PROMPT_SPECS);
  return [
    extractStep(prompts.step('extract')),
    summarizeStep(prompts.step('summarize')),
    classifyStep({ ...opts, prompt: prompts.step('classify') }),
  ];
}

/** The bundled prompts (prompts/ of the package), for code without a Config. */
export const bundledPromptSet = (): PromptSet => bundledPrompts(PROMPT_SPECS);
