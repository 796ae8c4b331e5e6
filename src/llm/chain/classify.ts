import type { Classification, Entities, RawDocument } from '../../contracts/index.ts';
import type { CallContext, StepCaller, StepCallResult } from './call-step.ts';
import { classifyAnswer, type ClassifyAnswer } from './llm-schemas.ts';
import { SYSTEM_PROMPTS, classifyUserPrompt } from './prompts.ts';

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

export function createClassifyStep(callStep: StepCaller, categories: readonly string[]): ClassifyStep {
  // The category set is part of the answer's schema: a category outside it fails validation
  // (and the provider's one repair attempt) instead of passing through.
  const schema = classifyAnswer(categories);
  return async (doc, entities, summary, ctx) => {
    const res = await callStep(
      {
        step: 'classify',
        input: { step: 'classify', content: doc.content, title: doc.title, entities, summary, categories },
        messages: { system: SYSTEM_PROMPTS.classify, user: classifyUserPrompt(summary, entities, categories, doc.title) },
        schema,
        schemaName: 'classify',
      },
      ctx,
    );
    return { ...res, output: toClassification(res.output, categories) };
  };
}
