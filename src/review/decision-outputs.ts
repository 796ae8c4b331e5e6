/**
 * What a decision writes: the decision record for documents.review.decisions, and the output it
 * causes (the published document on documents.enriched, or the refused one on
 * documents.rejected). Pure; the decision writer commits both in one transaction.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config.ts';
import {
  EnrichedDocument, Headers, RejectedDocument, type Entities, type RejectReason, type ReviewDecision, type ReviewDecisionKind, type ReviewOutcome,
} from '../contracts/index.ts';
import { normalizeHeaders, type OutgoingMessage } from '../kafka/records.ts';
import { plainJson, type ValueEncoder } from '../kafka/serde.ts';
import { enrichedMessage } from '../pipeline/messages.ts';
import type { QueueItem } from './review-state.ts';

export type DecisionInput =
  | { kind: 'accept' }
  | { kind: 'edit'; category: string; summary?: string; entities?: Entities }
  | { kind: 'reject'; reason: RejectReason; note?: string };

export interface PreparedDecision {
  decision: ReviewDecision;
  output: OutgoingMessage;
}

const KIND: Record<DecisionInput['kind'], ReviewDecisionKind> = { accept: 'accepted', edit: 'edited', reject: 'rejected' };

export function prepareDecision(
  q: QueueItem,
  input: DecisionInput,
  ctx: { reviewer: string; topics: Pick<Config['topics'], 'enriched' | 'rejected'>; now?: Date; bulk?: boolean; encode?: ValueEncoder },
): PreparedDecision {
  const { review_reasons: reasons, threshold: _threshold, ...enrichedPart } = q.item;
  const outcome: ReviewOutcome = {
    decision: KIND[input.kind],
    reviewer: ctx.reviewer,
    decided_at: (ctx.now ?? new Date()).toISOString(),
    original_category: q.item.classification.category,
    original_confidence: q.item.classification.confidence,
  };
  const decision: ReviewDecision = {
    decision_id: randomUUID(),
    document_id: q.documentId,
    decision: outcome.decision,
    reviewer: outcome.reviewer,
    decided_at: outcome.decided_at,
    item: { ...q.version },
    original_category: outcome.original_category,
    original_confidence: outcome.original_confidence,
    review_reasons: reasons.map((r) => r.code),
    output_topic: input.kind === 'reject' ? ctx.topics.rejected : ctx.topics.enriched,
    ...(ctx.bulk ? { bulk: true } : {}),
  };

  if (input.kind === 'reject') {
    decision.reject_reason = input.reason;
    if (input.note) decision.note = input.note;
    const rejected = RejectedDocument.parse({ ...q.item, rejection: { reason_code: input.reason, ...(input.note ? { note: input.note } : {}) }, review: outcome });
    const headers = { ...normalizeHeaders(q.headers, [Headers.route]), [Headers.route]: 'rejected' };
    return { decision, output: { topic: ctx.topics.rejected, key: q.documentId, value: (ctx.encode ?? plainJson)(ctx.topics.rejected, rejected), headers } };
  }

  const category = input.kind === 'edit' ? input.category : q.item.classification.category;
  decision.category = category;
  // A person chose the published category: every number of the classification says so (the
  // chosen category 1, the others 0, source `review`), so a reader never weighs the model's
  // scores against a category the model did not choose. The model's numbers stay in `review`.
  const scores = Object.fromEntries([...new Set([...Object.keys(q.item.classification.scores), category])].map((c) => [c, c === category ? 1 : 0]));
  const published = EnrichedDocument.parse({
    ...enrichedPart,
    classification: { category, confidence: 1, scores, confidence_source: 'review' },
    ...(input.kind === 'edit' && input.summary !== undefined ? { summary: input.summary } : {}),
    ...(input.kind === 'edit' && input.entities !== undefined ? { entities: input.entities } : {}),
    review: { ...outcome, original_scores: q.item.classification.scores },
  });
  return { decision, output: enrichedMessage(ctx.topics.enriched, published, q.headers, ctx.encode) };
}
