import { z } from 'zod';
import { ReviewItem, ReviewReason } from './enriched-document.ts';
import { ReviewDecisionKind, ReviewOutcome } from './review-outcome.ts';

/** Why a reviewer refused a document. OTHER needs a note. */
export const RejectReason = z.enum(['NOT_A_DOCUMENT', 'DUPLICATE', 'UNREADABLE', 'OUT_OF_SCOPE', 'SENSITIVE', 'BAD_ENRICHMENT', 'OTHER']);
export type RejectReason = z.infer<typeof RejectReason>;

/**
 * On the compacted documents.review.decisions topic, keyed by document id: the latest decision
 * about a document, written in the same transaction as the output it caused. `item` is the
 * version decided (the review record's position): a newer review record of the same document
 * (a replay) is a new item, and a decision about an older one does not close it.
 */
export const ReviewDecision = z
  .object({
    /** Unique per decision: how a writer recognises its own commit after an unknown outcome. */
    decision_id: z.string().min(1),
    document_id: z.string().min(1),
    decision: ReviewDecisionKind,
    reviewer: z.string().min(1),
    decided_at: z.iso.datetime(),
    item: z.object({
      topic: z.string(),
      partition: z.number().int().nonnegative(),
      offset: z.string().regex(/^\d+$/),
      /** The review record's timestamp (ms): orders versions of a document on different partitions. */
      timestamp: z.number().int().optional(),
    }),
    original_category: z.string(),
    original_confidence: z.number().min(0).max(1),
    /** The published category (accepted or edited); absent for a rejection. */
    category: z.string().optional(),
    review_reasons: z.array(ReviewReason.shape.code),
    reject_reason: RejectReason.optional(),
    note: z.string().max(2000).optional(),
    /** Where the output went: documents.enriched or documents.rejected. */
    output_topic: z.string(),
    bulk: z.boolean().optional(),
  })
  .meta({ id: 'ReviewDecision', description: 'A reviewer’s decision, latest per document, on documents.review.decisions' });
export type ReviewDecision = z.infer<typeof ReviewDecision>;

/** documents.rejected: the review item a person refused, with the reason and the decision. */
export const RejectedDocument = z
  .object({
    ...ReviewItem.shape,
    rejection: z.object({ reason_code: RejectReason, note: z.string().max(2000).optional() }),
    review: ReviewOutcome,
  })
  .meta({ id: 'RejectedDocument', description: 'A document a reviewer refused, on documents.rejected' });
export type RejectedDocument = z.infer<typeof RejectedDocument>;
