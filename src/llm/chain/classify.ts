import type { Classification, Entities, RawDocument } from '../../contracts/index.ts';
import type { Logger } from '../../observability/logger.ts';
import type { CallContext, StepCaller, StepCallResult } from './call-step.ts';
import { combineConfidence, type ConfidenceMode } from './confidence.ts';
import { classifyAnswer, type ClassifyAnswer } from './llm-schemas.ts';
import { classifySystemPrompt, classifyUserPrompt } from './prompts.ts';

/** confidence is null when the model could not judge: the gate sends that to review. */
export type ClassifyOutput = Omit<Classification, 'confidence'> & { confidence: number | null };

export type ClassifyStep = (
  doc: RawDocument,
  entities: Entities,
  summary: string,
  ctx: CallContext,
) => Promise<StepCallResult<ClassifyOutput>>;

/** Folds the model's score list into the contract's record; every configured category gets a score. */
export function toClassification(answer: ClassifyAnswer, categories: readonly string[]): ClassifyOutput {
  const scores: Record<string, number> = Object.fromEntries(categories.map((c) => [c, 0]));
  for (const s of answer.scores) scores[s.category] = Math.max(scores[s.category] ?? 0, s.score);
  return { category: answer.category, confidence: answer.confidence, scores };
}

export interface ClassifyOptions {
  /** Default `self`: the app resolves the mode from CONFIDENCE_MODE and the provider. */
  confidenceMode?: ConfidenceMode | undefined;
  /** Told once when answers come without the token probabilities the mode needs. */
  logger?: Logger | undefined;
}

export function createClassifyStep(callStep: StepCaller, categories: readonly string[], opts: ClassifyOptions = {}): ClassifyStep {
  // The category set is part of the answer's schema: a category outside it fails validation
  // (and the provider's one repair attempt) instead of passing through.
  const schema = classifyAnswer(categories);
  const mode = opts.confidenceMode ?? 'self';
  const system = classifySystemPrompt(categories);
  let toldMissing = false;
  return async (doc, entities, summary, ctx) => {
    const res = await callStep(
      {
        step: 'classify',
        input: { step: 'classify', content: doc.content, title: doc.title, entities, summary, categories },
        messages: { system, user: classifyUserPrompt(summary, entities, doc.title) },
        schema,
        schemaName: 'classify',
        ...(mode === 'self' ? {} : { probabilityOf: 'category' }),
      },
      ctx,
    );
    const base = toClassification(res.output, categories);
    const c = combineConfidence(mode, base.confidence, res.fieldProbability);
    if (mode !== 'self' && res.fieldProbability === undefined && !toldMissing) {
      toldMissing = true;
      opts.logger?.warn({ documentId: ctx.documentId, mode }, 'the answer carried no token log-probabilities for the category: the gate uses the self-reported confidence where they are missing');
    }
    return {
      ...res,
      output: { ...base, confidence: c.confidence, confidence_source: c.source, self_confidence: c.self, logprob_confidence: c.logprob },
    };
  };
}
