/**
 * Rebuilds and follows the console's state from Kafka: documents.review (every review record)
 * and documents.review.decisions (every decision), both from the beginning, read_committed, each
 * in a group of this instance's own. A restart therefore rebuilds the open queue from the two
 * topics; there is no other store. It also tracks how far each decisions partition has been
 * read, which the decision writer waits on after taking a partition over.
 */
import { Headers, ReviewDecision, ReviewItem } from '../contracts/index.ts';
import type { KafkaClient } from '../kafka/client.ts';
import { normalizeHeaders } from '../kafka/records.ts';
import { decodeJson, headerString } from '../kafka/serde.ts';
import { createTopicFollower, readerGroupId, type FollowedRecord } from '../kafka/topic-reader.ts';
import type { Logger } from '../observability/logger.ts';
import type { QueueItem, ReviewState } from './review-state.ts';

export interface StateSync {
  /** Resolves when both topics have been read to their end (or after the timeout, with a warning). */
  start(timeoutMs?: number): Promise<boolean>;
  waitSeen(partition: number, offset: bigint, timeoutMs: number): Promise<boolean>;
  /** Review records that could not be read (shown on the overview). */
  unreadable(): number;
  stop(): Promise<void>;
}

/**
 * A value in the Confluent wire format (magic byte 0, then a 4-byte schema id) is read as the
 * JSON after the header, so the console reads topics written with a schema registry too.
 */
export function jsonBody(value: Buffer | null): Buffer | null {
  return value && value.length > 5 && value[0] === 0 ? value.subarray(5) : value;
}

export function createStateSync(deps: { kafka: KafkaClient; topics: { review: string; decisions: string }; groupBase: string; instanceId: string; state: ReviewState; logger: Logger }): StateSync {
  const { state, logger } = deps;
  const seen = new Map<number, bigint>();
  const waiters = new Set<{ partition: number; offset: bigint; resolve: (ok: boolean) => void }>();
  let unreadable = 0;

  const onItem = (r: FollowedRecord) => {
    try {
      const item = decodeJson(jsonBody(r.value), ReviewItem, 'decode', 'review item');
      const q: QueueItem = {
        documentId: item.document_id,
        version: { topic: deps.topics.review, partition: r.partition, offset: r.offset, timestamp: Number(r.message.timestamp) },
        timestamp: Number(r.message.timestamp),
        runId: headerString(r.message.headers as Record<string, unknown>, Headers.runId),
        item,
        headers: normalizeHeaders(r.message.headers),
      };
      state.applyItem(q);
    } catch (e) {
      unreadable++;
      logger.warn({ topic: deps.topics.review, partition: r.partition, offset: r.offset, key: r.key, err: (e as Error).message }, 'review console: skipping an unreadable review record');
    }
  };
  const onDecision = (r: FollowedRecord) => {
    if (r.value === null) return;
    try {
      state.applyDecision(decodeJson(jsonBody(r.value), ReviewDecision, 'decode', 'review decision'));
    } catch (e) {
      logger.warn({ topic: deps.topics.decisions, partition: r.partition, offset: r.offset, key: r.key, err: (e as Error).message }, 'review console: skipping an unreadable decision record');
    }
  };
  const onProgress = (partition: number, lastOffset: string) => {
    const at = BigInt(lastOffset);
    if (at <= (seen.get(partition) ?? -1n)) return;
    seen.set(partition, at);
    for (const w of waiters) {
      if (w.partition === partition && at >= w.offset) {
        waiters.delete(w);
        w.resolve(true);
      }
    }
  };

  const group = (purpose: string) => readerGroupId(`${deps.groupBase}.${purpose}`, deps.instanceId);
  const followers = [
    createTopicFollower({ kafka: deps.kafka, topic: deps.topics.review, groupId: group('review-queue'), logger, onRecord: onItem, deleteGroupOnStop: true }),
    createTopicFollower({ kafka: deps.kafka, topic: deps.topics.decisions, groupId: group('review-decisions'), logger, onRecord: onDecision, onProgress, deleteGroupOnStop: true }),
  ];

  return {
    async start(timeoutMs = 60_000) {
      const ok = await Promise.all(followers.map((f) => f.start(timeoutMs)));
      return ok.every(Boolean);
    },
    waitSeen(partition, offset, timeoutMs) {
      if ((seen.get(partition) ?? -1n) >= offset) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const w = { partition, offset, resolve };
        waiters.add(w);
        setTimeout(() => {
          if (waiters.delete(w)) resolve(false);
        }, timeoutMs).unref();
      });
    },
    unreadable: () => unreadable,
    async stop() {
      await Promise.all(followers.map((f) => f.stop()));
      for (const w of waiters) w.resolve(false);
      waiters.clear();
    },
  };
}
