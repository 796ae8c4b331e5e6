import { z } from 'zod';

const StepUsage = z.object({
  calls: z.number().int().nonnegative(),
  cachedCalls: z.number().int().nonnegative(),
  inputTokens: z.number().int().nonnegative(),
  cachedInputTokens: z.number().int().nonnegative().optional(),
  outputTokens: z.number().int().nonnegative(),
  reasoningTokens: z.number().int().nonnegative().optional(),
  costUsd: z.number().nonnegative(),
});

/**
 * One step done: its output under the step's field (extract: entities, summarize: summary,
 * classify: classification; each step checks its own when it resumes), what it used, and the
 * model that answered. `failed`: the step failed permanently and the chain went on without it.
 */
const StepProgress = z
  .object({
    usage: StepUsage,
    model: z.string(),
    failed: z.object({ code: z.string(), message: z.string() }).optional(),
  })
  .catchall(z.unknown());

/**
 * The results of the chain steps already done, by step name. A retry carries it so that it
 * resumes at the failed step and never pays twice for a step that succeeded.
 */
export const ChainProgress = z
  .object({
    /** Billed usage of calls whose step failed (earlier attempts, a failed extraction). */
    failed_usage: StepUsage.optional(),
  })
  .catchall(StepProgress)
  .meta({ id: 'ChainProgress' });
export type ChainProgress = z.infer<typeof ChainProgress>;
