import { z } from 'zod';
import { Entities } from './enrichment.ts';

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
 * The results of the chain steps already done. A retry carries it so that it resumes at the
 * failed step and never pays twice for a step that succeeded.
 */
export const ChainProgress = z
  .object({
    extract: z
      .object({
        entities: Entities,
        usage: StepUsage,
        model: z.string(),
        /** Set when extraction failed permanently and the chain went on without entities. */
        failed: z.object({ code: z.string(), message: z.string() }).optional(),
      })
      .optional(),
    summarize: z.object({ summary: z.string(), usage: StepUsage, model: z.string() }).optional(),
    /** Billed usage of calls whose step failed (earlier attempts, a failed extraction). */
    failed_usage: StepUsage.optional(),
    classify: z
      .object({
        classification: z.object({
          category: z.string(),
          confidence: z.number().min(0).max(1).nullable(),
          scores: z.record(z.string(), z.number()),
          confidence_source: z.enum(['self', 'logprob']).optional(),
          self_confidence: z.number().min(0).max(1).nullable().optional(),
          logprob_confidence: z.number().min(0).max(1).nullable().optional(),
        }),
        usage: StepUsage,
        model: z.string(),
      })
      .optional(),
  })
  .meta({ id: 'ChainProgress' });
export type ChainProgress = z.infer<typeof ChainProgress>;
