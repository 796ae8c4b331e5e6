/**
 * What the console knows, rebuilt from two topics: the latest review record of each document
 * (documents.review) and the latest decision about it (documents.review.decisions). An item is
 * open while no decision covers its version. Pure: the Kafka followers feed it (state-sync.ts),
 * so the rules are unit-tested on their own.
 */
import type { IHeaders } from 'kafkajs';
import type { ReviewDecision, ReviewItem } from '../contracts/index.ts';

/** A review record's position: the version of the document a reviewer looks at. */
export interface ItemVersion {
  topic: string;
  partition: number;
  offset: string;
}

export interface QueueItem {
  documentId: string;
  version: ItemVersion;
  /** When the review record was written (ms): the item's age. */
  timestamp: number;
  runId: string | undefined;
  item: ReviewItem;
  /** The review record's headers, passed on to the output. */
  headers: IHeaders;
}

export type DecisionCheck =
  | { kind: 'open' }
  /** This very decision is already recorded (its commit went through before an unknown outcome). */
  | { kind: 'mine' }
  | { kind: 'decided'; by: ReviewDecision }
  /** A newer review record of the document arrived: the reviewer decided on an old version. */
  | { kind: 'stale'; latest: ItemVersion };

/** Whether a decision about version `decided` covers version `v` (the same record or a later one). */
export function covers(decided: ItemVersion, v: ItemVersion): boolean {
  return decided.topic === v.topic && decided.partition === v.partition && BigInt(decided.offset) >= BigInt(v.offset);
}

export interface ReviewState {
  /** A review record (the latest per document wins; an older one read late is ignored). */
  applyItem(item: QueueItem): void;
  applyDecision(d: ReviewDecision): void;
  item(documentId: string): QueueItem | undefined;
  decision(documentId: string): ReviewDecision | undefined;
  isOpen(item: QueueItem): boolean;
  openItems(): QueueItem[];
  decisions(): IterableIterator<ReviewDecision>;
  /** May `d` be written now? Asked by the decision writer while it owns d's partition of the decisions topic. */
  check(d: ReviewDecision): DecisionCheck;
  /** Bumped on every change; live views compare it. */
  version(): number;
  onChange(listener: () => void): () => void;
}

export function createReviewState(): ReviewState {
  const items = new Map<string, QueueItem>();
  const decided = new Map<string, ReviewDecision>();
  const listeners = new Set<() => void>();
  let version = 0;
  const changed = () => {
    version++;
    for (const l of listeners) l();
  };
  const isOpen = (q: QueueItem) => {
    const d = decided.get(q.documentId);
    return !d || !covers(d.item, q.version);
  };

  return {
    applyItem(q) {
      const previous = items.get(q.documentId);
      if (previous && covers(previous.version, q.version) && previous.version.offset !== q.version.offset) return;
      items.set(q.documentId, q);
      changed();
    },
    applyDecision(d) {
      const previous = decided.get(d.document_id);
      if (previous?.decision_id === d.decision_id) return;
      // Compaction keeps the latest per key, but a reader may see an older decision after a newer one
      // of our own that it applied first: keep the one about the later version.
      if (previous && covers(previous.item, d.item) && previous.item.offset !== d.item.offset) return;
      decided.set(d.document_id, d);
      changed();
    },
    item: (id) => items.get(id),
    decision: (id) => decided.get(id),
    isOpen,
    openItems: () => [...items.values()].filter(isOpen),
    decisions: () => decided.values(),
    check(d) {
      const existing = decided.get(d.document_id);
      if (existing?.decision_id === d.decision_id) return { kind: 'mine' };
      if (existing && covers(existing.item, d.item)) return { kind: 'decided', by: existing };
      const latest = items.get(d.document_id);
      if (latest && !covers(d.item, latest.version)) return { kind: 'stale', latest: latest.version };
      return { kind: 'open' };
    },
    version: () => version,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
