/**
 * What the console knows, rebuilt from two topics: the latest review record of each document
 * (documents.review) and the latest decision about it (documents.review.decisions). An item is
 * open while no decision covers its version. Pure: the Kafka followers feed it (state-sync.ts),
 * so the rules are unit-tested on their own.
 */
import type { IHeaders } from 'kafkajs';
import type { ReviewDecision, ReviewItem } from '../contracts/index.ts';

/**
 * A review record's position: the version of the document a reviewer looks at. `timestamp`
 * (the record's, ms) orders versions on different partitions (a writer with another
 * partitioner, partitions added): offsets mean nothing across partitions.
 */
export interface ItemVersion {
  topic: string;
  partition: number;
  offset: string;
  timestamp?: number | undefined;
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

const sameRecord = (a: ItemVersion, b: ItemVersion) => a.topic === b.topic && a.partition === b.partition && a.offset === b.offset;

/**
 * Whether version `a` is `b` or a later one. On one partition the offset says; across partitions
 * the record timestamp does (a tie broken by partition, then offset, so that every console
 * instance and every restart picks the same); a version without a timestamp (a decision written
 * before they carried one) is ordered only on its own partition.
 */
export function atOrAfter(a: ItemVersion, b: ItemVersion): boolean {
  if (a.topic === b.topic && a.partition === b.partition) return BigInt(a.offset) >= BigInt(b.offset);
  if (a.timestamp === undefined || b.timestamp === undefined) return false;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  return a.partition !== b.partition ? a.partition > b.partition : BigInt(a.offset) >= BigInt(b.offset);
}

/** Whether a decision about version `decided` covers version `v` (the same record or a later one). */
export const covers = (decided: ItemVersion, v: ItemVersion): boolean => atOrAfter(decided, v);

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
      // The newest version wins whatever the order the partitions were read in; the same record read again refreshes it.
      if (previous && atOrAfter(previous.version, q.version) && !sameRecord(previous.version, q.version)) return;
      items.set(q.documentId, q);
      changed();
    },
    applyDecision(d) {
      const previous = decided.get(d.document_id);
      if (previous?.decision_id === d.decision_id) return;
      // Compaction keeps the latest per key, but a reader may see an older decision after a newer one
      // of our own that it applied first: keep the one about the later version.
      if (previous && atOrAfter(previous.item, d.item) && !sameRecord(previous.item, d.item)) return;
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
