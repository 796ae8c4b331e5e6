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
    confidence: z.number().min(0).max(1),
    scores: z.record(z.string(), z.number().min(0).max(1)),
  })
  .meta({ id: 'Classification' });
export type Classification = z.infer<typeof Classification>;

export const Usage = z
  .object({
    calls: z.number().int().nonnegative(),
    cached_calls: z.number().int().nonnegative().default(0),
    input_tokens: z.number().int().nonnegative(),
    output_tokens: z.number().int().nonnegative(),
    cost_usd: z.number().nonnegative(),
  })
  .meta({ id: 'Usage' });
export type Usage = z.infer<typeof Usage>;

export const StepName = z.enum(['extract', 'summarize', 'classify']);
export type StepName = z.infer<typeof StepName>;
