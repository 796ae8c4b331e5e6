/**
 * The documents reviewers decided, with their originals: the latest decision per document from
 * documents.review.decisions, and the review record it names (documents.review at the decided
 * version's partition and offset), which carries the document and the model's answer. Both are
 * read once to their end, read_committed, in short-lived groups of their own.
 */
import { ReviewDecision, ReviewItem } from '../../contracts/index.ts';
import type { KafkaClient } from '../../kafka/client.ts';
import { decodeJson } from '../../kafka/serde.ts';
import { readTopicOnce } from '../../kafka/topic-reader.ts';
import type { Logger } from '../../observability/logger.ts';

export interface ReviewedDocument {
  decision: ReviewDecision;
  /** The review record the decision was about: the document and the model's answer then. */
  item: ReviewItem;
}

export interface ReviewedDocuments {
  documents: ReviewedDocument[];
  /** Decisions whose review record is no longer on the topic (retention) or could not be read. */
  withoutOriginal: number;
  /** Decision records that could not be read. */
  unreadable: number;
}

const position = (partition: number, offset: string) => `${partition}:${offset}`;

/** The later of two decisions about a document: the one about the later version, else the later decision. */
function later(a: ReviewDecision, b: ReviewDecision): ReviewDecision {
  if (a.item.partition === b.item.partition && a.item.offset !== b.item.offset) return BigInt(a.item.offset) > BigInt(b.item.offset) ? a : b;
  return Date.parse(a.decided_at) >= Date.parse(b.decided_at) ? a : b;
}

/**
 * The decided documents, the most recently decided first; `limit` keeps that many. A decision
 * about another review topic than `topics.review` (a renamed topic) has no original here.
 */
export async function readReviewedDocuments(deps: {
  kafka: KafkaClient;
  topics: { review: string; decisions: string };
  groupBase: string;
  logger: Logger;
  limit?: number | undefined;
  timeoutMs?: number | undefined;
}): Promise<ReviewedDocuments> {
  const { kafka, topics, logger } = deps;
  const decided = new Map<string, ReviewDecision>();
  let unreadable = 0;
  await readTopicOnce({
    kafka, topic: topics.decisions, groupBase: deps.groupBase, logger, timeoutMs: deps.timeoutMs,
    onRecord: (r) => {
      if (r.value === null) return;
      try {
        const d = decodeJson(r.value, ReviewDecision, 'decode', 'review decision');
        const had = decided.get(d.document_id);
        decided.set(d.document_id, had ? later(had, d) : d);
      } catch (e) {
        unreadable++;
        logger.warn({ topic: topics.decisions, partition: r.partition, offset: r.offset, err: (e as Error).message }, 'eval: skipping an unreadable decision record');
      }
    },
  });
  const chosen = [...decided.values()].sort((a, b) => Date.parse(b.decided_at) - Date.parse(a.decided_at) || a.document_id.localeCompare(b.document_id));
  const wanted = deps.limit === undefined ? chosen : chosen.slice(0, deps.limit);
  const byPosition = new Map(wanted.filter((d) => d.item.topic === topics.review).map((d) => [position(d.item.partition, d.item.offset), d]));
  const items = new Map<string, ReviewItem>();
  if (byPosition.size > 0) {
    await readTopicOnce({
      kafka, topic: topics.review, groupBase: deps.groupBase, logger, timeoutMs: deps.timeoutMs,
      onRecord: (r) => {
        const d = byPosition.get(position(r.partition, r.offset));
        if (!d) return;
        try {
          items.set(d.document_id, decodeJson(r.value, ReviewItem, 'decode', 'review item'));
        } catch (e) {
          logger.warn({ topic: topics.review, partition: r.partition, offset: r.offset, err: (e as Error).message }, 'eval: the review record of a decision is unreadable; leaving it out');
        }
      },
    });
  }
  const documents = wanted.flatMap((decision) => {
    const item = items.get(decision.document_id);
    return item ? [{ decision, item }] : [];
  });
  return { documents, withoutOriginal: wanted.length - documents.length, unreadable };
}
