/**
 * Step 3: one category of the configured list, a score for every category, and a confidence,
 * from the summary and the entities. Which confidence the gate reads is CONFIDENCE_MODE's
 * (confidence.ts): the model's own, the probability of the category's tokens, or the lower.
 */
import { z } from 'zod';
import { Classification, Entities, type RawDocument } from '../../../contracts/index.ts';
import type { Logger } from '../../../observability/logger.ts';
import type { StepInput } from '../../providers/provider.ts';
import type { StepCallResult } from '../call-step.ts';
import { combineConfidence, type ConfidenceMode } from '../confidence.ts';
import type { PromptSpec, StepPrompt } from '../prompt-files.ts';
import { renderTemplate } from '../prompt-template.ts';
import { documentValues, ENTITY_PLACEHOLDERS, entityValues } from '../prompts.ts';
import type { ChainStep } from '../step.ts';

/**
 * prompts/classify.md: {{categories}} (CATEGORIES, the same for every document, so the system
 * prompt stays cacheable), the summary and entities of the steps before, the document.
 */
export const CLASSIFY_PROMPT: PromptSpec = {
  step: 'classify',
  placeholders: { system: ['categories'], user: ['title', 'content', 'summary', ...ENTITY_PLACEHOLDERS] },
};

/**
 * What the model must return. Strict structured outputs cannot express records, so the scores
 * come as a list, folded into the contract's record below; the category set is part of the
 * schema, so a category outside it fails validation (and the provider's one repair attempt).
 */
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

/** confidence is null when the model could not judge: the gate sends that to review. */
export const ClassifyOutput = Classification.extend({ confidence: z.number().min(0).max(1).nullable() });
export type ClassifyOutput = z.infer<typeof ClassifyOutput>;

/** Folds the model's score list into the contract's record; every configured category gets a score. */
export function toClassification(answer: ClassifyAnswer, categories: readonly string[]): ClassifyOutput {
  const scores: Record<string, number> = Object.fromEntries(categories.map((c) => [c, 0]));
  for (const s of answer.scores) scores[s.category] = Math.max(scores[s.category] ?? 0, s.score);
  return { category: answer.category, confidence: answer.confidence, scores };
}

export interface ClassifyOptions {
  prompt: StepPrompt;
  categories: readonly string[];
  /** Default `self`: the processor resolves the mode from CONFIDENCE_MODE and the provider. */
  confidenceMode?: ConfidenceMode | undefined;
  /** Told once when answers come without the token probabilities the mode needs. */
  logger?: Logger | undefined;
}

export function classifyStep(opts: ClassifyOptions): ChainStep<ClassifyAnswer, ClassifyOutput> {
  const { categories } = opts;
  const answer = classifyAnswer(categories);
  const mode = opts.confidenceMode ?? 'self';
  const system = renderTemplate(opts.prompt.system, { categories: categories.join(', ') });
  let toldMissing = false;
  return {
    name: 'classify',
    field: 'classification',
    request: (doc: RawDocument, before) => {
      const entities = Entities.parse(before.entities);
      const summary = z.string().parse(before.summary);
      return {
        messages: { system, user: renderTemplate(opts.prompt.user, { ...documentValues(doc), summary, ...entityValues(entities) }) },
        answer,
        input: { step: 'classify', content: doc.content, title: doc.title, entities, summary, categories },
        categories,
        ...(mode === 'self' ? {} : { probabilityOf: 'category' }),
      };
    },
    toOutput(res: StepCallResult<ClassifyAnswer>, doc) {
      const base = toClassification(res.output, categories);
      const c = combineConfidence(mode, base.confidence, res.fieldProbability);
      if (mode !== 'self' && res.fieldProbability === undefined && !toldMissing) {
        toldMissing = true;
        opts.logger?.warn({ documentId: doc.id, mode }, 'the answer carried no token log-probabilities for the category: the gate uses the self-reported confidence where they are missing');
      }
      return { ...base, confidence: c.confidence, confidence_source: c.source, self_confidence: c.self, logprob_confidence: c.logprob };
    },
    output: ClassifyOutput,
    // A null confidence is published as 0: the contract keeps a number, the review reason says why.
    publish: (c) => ({ ...c, confidence: c.confidence ?? 0 }),
    async offline(input: StepInput) {
      const { classifyText } = await import('../../offline/classify-text.ts');
      // The input's categories are the ones asked for (the step's own, as its request builds it).
      const asked = z.array(z.string()).min(1).safeParse(input.categories);
      const r = classifyText({ content: input.content, title: input.title, summary: z.string().parse(input.summary), entities: Entities.parse(input.entities), categories: asked.success ? asked.data : categories });
      return { category: r.category, confidence: r.confidence, scores: Object.entries(r.scores).map(([category, score]) => ({ category, score })) };
    },
  };
}
