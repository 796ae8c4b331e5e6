import { z } from 'zod';
import { Classification, Entities, Usage } from './enrichment.ts';
import { ReviewOutcome } from './review-outcome.ts';

const enrichedFields = {
  document_id: z.string().min(1),
  title: z.string().optional(),
  source: z.string().optional(),
  original_content: z.string(),
  entities: Entities,
  summary: z.string(),
  classification: Classification,
  usage: Usage,
  model: z.string(),
  provider: z.enum(['openai', 'offline']),
  /** True when the offline provider produced it: no real model was asked. */
  offline: z.boolean(),
  /** True when a step failed permanently and the chain went on without it. */
  partial: z.boolean(),
  prompt_version: z.string(),
  enriched_at: z.iso.datetime(),
};

/** The published asset on documents.enriched: the vector-store service triggers on it. */
export const EnrichedDocument = z
  // `review` is set when a person decided (the review console); optional, so records without it stay valid.
  .object({ ...enrichedFields, review: ReviewOutcome.optional() })
  .meta({ id: 'EnrichedDocument', description: 'A confidently enriched document, published to documents.enriched' });
export type EnrichedDocument = z.infer<typeof EnrichedDocument>;

export const ReviewReason = z.object({
  code: z.enum(['LOW_CONFIDENCE', 'PARTIAL_CHAIN', 'NO_USABLE_CONFIDENCE', 'UNKNOWN_CATEGORY', 'INCONSISTENT_SCORES']),
  message: z.string(),
});
export type ReviewReason = z.infer<typeof ReviewReason>;

/** documents.review: the enrichment plus why a person should look at it. */
export const ReviewItem = z
  .object({ ...enrichedFields, review_reasons: z.array(ReviewReason).min(1), threshold: z.number() })
  .meta({ id: 'ReviewItem', description: 'An enrichment routed to a person, with the reasons' });
export type ReviewItem = z.infer<typeof ReviewItem>;
