/**
 * What the model must return at each step. These are strict-structured-output friendly (no
 * records, every field required), so the classify answer carries its scores as a list that
 * classify.ts folds into the contract's record.
 */
import { z } from 'zod';
import { Entities, SummaryOutput } from '../../contracts/index.ts';

export const ExtractAnswer = Entities;
export const SummarizeAnswer = SummaryOutput;

export function classifyAnswer(categories: readonly string[]) {
  const category = z.enum(categories as [string, ...string[]]);
  return z.object({
    category,
    // null is the model saying it cannot judge: routed to review, not guessed.
    confidence: z.number().min(0).max(1).nullable(),
    scores: z.array(z.object({ category, score: z.number().min(0).max(1) })),
  });
}
export type ClassifyAnswer = z.infer<ReturnType<typeof classifyAnswer>>;
