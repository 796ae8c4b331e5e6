import { z } from 'zod';

/** The structured outputs of the three chain steps. These are also what the LLM must return. */
export const Entities = z
  .object({
    people: z.array(z.string()),
    organizations: z.array(z.string()),
    dates: z.array(z.string()),
    topics: z.array(z.string()),
  })
  .meta({ id: 'Entities' });
export type Entities = z.infer<typeof Entities>;

export const SummaryOutput = z.object({ summary: z.string().min(1) }).meta({ id: 'SummaryOutput' });
export type SummaryOutput = z.infer<typeof SummaryOutput>;

/** Classification as the model returns it: the category set is checked against config later. */
export const Classification = z
  .object({
    category: z.string().min(1),
    /** The confidence the gate used: see confidence_source. */
    confidence: z.number().min(0).max(1),
    scores: z.record(z.string(), z.number().min(0).max(1)),
    /**
     * Which number `confidence` is: `self` (what the model wrote), `logprob` (the probability
     * the model gave the category's tokens), or `review` (a person chose the category: confidence
     * 1, the scores theirs too; the model's numbers are in `review.original_*`). Absent on
     * records written before it was kept.
     */
    confidence_source: z.enum(['self', 'logprob', 'review']).optional(),
    /** What the model wrote; null when it said it could not judge. */
    self_confidence: z.number().min(0).max(1).nullable().optional(),
    /** The probability of the category's tokens; null when the provider returned none. */
    logprob_confidence: z.number().min(0).max(1).nullable().optional(),
  })
  .meta({ id: 'Classification' });
export type Classification = z.infer<typeof Classification>;

export const Usage = z
  .object({
    calls: z.number().int().nonnegative(),
    cached_calls: z.number().int().nonnegative().default(0),
    input_tokens: z.number().int().nonnegative(),
    /** The part of input_tokens read from the provider's prompt cache. */
    cached_input_tokens: z.number().int().nonnegative().optional(),
    output_tokens: z.number().int().nonnegative(),
    /** The part of output_tokens spent on reasoning. */
    reasoning_tokens: z.number().int().nonnegative().optional(),
    cost_usd: z.number().nonnegative(),
  })
  .meta({ id: 'Usage' });
export type Usage = z.infer<typeof Usage>;

/** A chain step's name (extract, summarize, classify, …): the steps are the chain's list, not a fixed set. */
export const StepName = z.string();
export type StepName = z.infer<typeof StepName>;
