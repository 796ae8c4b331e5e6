/**
 * Which confidence the gate sees. A model's self-reported confidence is whatever it writes, and
 * a document can talk it into writing 1.0; the probability the model gave the category's own
 * tokens is much harder to talk up. CONFIDENCE_MODE picks one, or the lower of the two.
 */
import type { ConfidenceMode } from '../../config.ts';
import type { Logger } from '../../observability/logger.ts';
import type { LlmProvider } from '../providers/provider.ts';

export type { ConfidenceMode };

export interface CombinedConfidence {
  confidence: number | null;
  source: 'self' | 'logprob';
  self: number | null;
  logprob: number | null;
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/**
 * Without a category probability every mode is `self`. In `min`, a model that said it cannot
 * judge (null) stays null: the gate sends that to review whatever the tokens say.
 */
export function combineConfidence(mode: ConfidenceMode, self: number | null, categoryProbability: number | undefined): CombinedConfidence {
  const logprob = categoryProbability === undefined ? null : round6(categoryProbability);
  if (logprob === null || mode === 'self') return { confidence: self, source: 'self', self, logprob };
  if (mode === 'logprob') return { confidence: logprob, source: 'logprob', self, logprob };
  if (self === null || self <= logprob) return { confidence: self, source: 'self', self, logprob };
  return { confidence: logprob, source: 'logprob', self, logprob };
}

/**
 * The mode this process runs with, said once at start: unset means `min` where the provider can
 * return token log-probabilities, else `self`; a mode that needs them falls back to `self`.
 */
export function resolveConfidenceMode(
  configured: ConfidenceMode | undefined,
  provider: Pick<LlmProvider, 'name' | 'model' | 'tokenProbabilities' | 'tokenProbabilitiesFor'>,
  logger: Logger,
  /** The classifier's model (LLM_MODEL_CLASSIFY); default the provider's. */
  model: string = provider.model,
): ConfidenceMode {
  const available = provider.tokenProbabilitiesFor ? provider.tokenProbabilitiesFor(model) : provider.tokenProbabilities === true;
  const mode: ConfidenceMode = configured === undefined ? (available ? 'min' : 'self') : available ? configured : 'self';
  const fields = { configured: configured ?? '(unset)', mode, provider: provider.name, model };
  if (configured !== undefined && configured !== 'self' && !available) {
    logger.warn(fields, `CONFIDENCE_MODE=${configured} needs token log-probabilities, which the ${provider.name} provider with model ${model} does not return: the gate uses the model's self-reported confidence`);
  } else {
    logger.info(fields, mode === 'self' ? 'the gate uses the model\'s self-reported confidence' : `the gate uses the ${mode === 'min' ? 'lower of the self-reported confidence and the category\'s token probability' : 'category\'s token probability'}`);
  }
  return mode;
}
