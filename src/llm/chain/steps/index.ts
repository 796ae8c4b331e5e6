/**
 * The chain: its steps, in the order they run. Each is one module with its prompt, its answer's
 * schema and where its output goes; a new step is its module and a line here.
 */
import type { ConfidenceMode } from '../confidence.ts';
import type { Logger } from '../../../observability/logger.ts';
import type { ChainSteps } from '../step.ts';
import { classifyStep } from './classify.ts';
import { extractStep } from './extract.ts';
import { summarizeStep } from './summarize.ts';

export function chainSteps(opts: { categories: readonly string[]; confidenceMode?: ConfidenceMode | undefined; logger?: Logger | undefined }): ChainSteps {
  return [
    extractStep(),
    summarizeStep(),
    classifyStep(opts),
  ];
}
