import { z } from 'zod';

export const ReviewDecisionKind = z.enum(['accepted', 'edited', 'rejected']);
export type ReviewDecisionKind = z.infer<typeof ReviewDecisionKind>;

/**
 * What a person decided about a document the quality gate sent to review. Published documents
 * carry it (optional: automatic ones have none), so a reader can tell reviewed from automatic.
 */
export const ReviewOutcome = z
  .object({
    decision: ReviewDecisionKind,
    /** The signed-in reviewer (user name, or the trusted proxy's user). */
    reviewer: z.string().min(1),
    decided_at: z.iso.datetime(),
    /** The model's category, confidence and scores, before the person decided. */
    original_category: z.string(),
    original_confidence: z.number().min(0).max(1),
    original_scores: z.record(z.string(), z.number().min(0).max(1)).optional(),
  })
  .meta({ id: 'ReviewOutcome', description: 'A reviewer’s decision on a document the quality gate sent to review' });
export type ReviewOutcome = z.infer<typeof ReviewOutcome>;
