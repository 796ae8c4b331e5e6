import { z } from 'zod';
import { Entities } from './enrichment.ts';

/** One side's answer for a document: what it said, what the gate would do with it, and what it cost. */
export const ShadowAnswer = z
  .object({
    /** The models that answered (one per step, in the chain's order, without repeats). */
    models: z.array(z.string()),
    prompt_version: z.string(),
    category: z.string(),
    /** The confidence the gate reads (null: the classifier gave none). */
    confidence: z.number().min(0).max(1).nullable(),
    entities: Entities,
    summary: z.string(),
    /** Where the quality gate routes this answer at the threshold below. */
    route: z.enum(['enriched', 'review']),
    /** A step failed for good and the chain went on without it. */
    partial: z.boolean(),
    /** The calls' cost (0 for answers from the result cache). */
    cost_usd: z.number().nonnegative(),
    /** The chain's wall time, pool waits included. */
    latency_ms: z.number().nonnegative(),
  })
  .meta({ id: 'ShadowAnswer' });
export type ShadowAnswer = z.infer<typeof ShadowAnswer>;

/** How the candidate's answer compares with the primary's. */
export const ShadowMetrics = z
  .object({
    category_agrees: z.boolean(),
    /** The candidate's confidence minus the primary's; null when either has none. */
    confidence_difference: z.number().min(-1).max(1).nullable(),
    /** F1 of the candidate's entities (type and lower-cased name) against the primary's; 1 when both have none. */
    entities_f1: z.number().min(0).max(1),
    /** Token F1 of the two summaries (lower-cased words, counted with repeats); 1 when both are empty. */
    summary_token_f1: z.number().min(0).max(1),
    /** The gate would have routed the candidate's answer the other way (published against review). */
    route_differs: z.boolean(),
  })
  .meta({ id: 'ShadowMetrics' });
export type ShadowMetrics = z.infer<typeof ShadowMetrics>;

/**
 * The shadow candidate beside the primary for one document, on documents.shadow keyed
 * `<document id>/<candidate>`. Written off the commit path, at most once per primary result
 * (a replay or a retried commit may write one again under the same key: the latest counts).
 */
export const ShadowComparison = z
  .object({
    document_id: z.string().min(1),
    /** The candidate's name: its model (SHADOW_MODEL), with `@<prompt version>` when SHADOW_PROMPTS_DIR is set. */
    candidate: z.string().min(1),
    /** The threshold both answers were gated at (the primary's, at its routing). */
    threshold: z.number().min(0).max(1),
    /** The primary's attempt this compares with (1 for the first delivery). */
    attempt: z.number().int().min(1),
    primary: ShadowAnswer,
    /** Null when the candidate's chain failed (see error). */
    shadow: ShadowAnswer.nullable(),
    metrics: ShadowMetrics.nullable(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
    run_id: z.string().optional(),
    timestamp: z.iso.datetime(),
  })
  .meta({ id: 'ShadowComparison', description: 'A shadow candidate\'s answer beside the primary\'s for one document' });
export type ShadowComparison = z.infer<typeof ShadowComparison>;
