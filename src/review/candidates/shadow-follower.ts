/**
 * Follows documents.shadow from the beginning, in memory, in a group of this console's own (as
 * state-sync.ts follows the review topics): the latest comparison per key `<doc id>/<candidate>`
 * (a replay writes a key again; the latest counts). Bounded: past `maxKeys` the key written
 * longest ago is dropped, so the page shows the most recent comparisons.
 */
import { ShadowComparison } from '../../contracts/index.ts';
import type { KafkaClient } from '../../kafka/client.ts';
import { decodeJson } from '../../kafka/serde.ts';
import { createTopicFollower, readerGroupId, type FollowedRecord } from '../../kafka/topic-reader.ts';
import type { Logger } from '../../observability/logger.ts';
import { jsonBody } from '../state-sync.ts';

export interface ShadowView {
  start(timeoutMs?: number): Promise<boolean>;
  comparisons(): IterableIterator<ShadowComparison>;
  /** Records that could not be read (shown on the page). */
  unreadable(): number;
  /** Keys dropped to stay within the bound. */
  dropped(): number;
  stop(): Promise<void>;
}

export const DEFAULT_MAX_SHADOW_KEYS = 50_000;

/** The latest comparison per key, at most maxKeys of them (the least recently written goes first). */
export function createShadowStore(maxKeys = DEFAULT_MAX_SHADOW_KEYS) {
  const latest = new Map<string, ShadowComparison>();
  let dropped = 0;
  return {
    apply(c: ShadowComparison) {
      const key = `${c.document_id}/${c.candidate}`;
      latest.delete(key); // re-inserted at the end: Map order is the order of last writes
      latest.set(key, c);
      while (latest.size > maxKeys) {
        latest.delete(latest.keys().next().value!);
        dropped++;
      }
    },
    values: () => latest.values(),
    dropped: () => dropped,
  };
}

export function createShadowView(deps: { kafka: KafkaClient; topic: string; groupBase: string; instanceId: string; logger: Logger; maxKeys?: number }): ShadowView {
  const store = createShadowStore(deps.maxKeys);
  let unreadable = 0;
  const onRecord = (r: FollowedRecord) => {
    if (r.value === null) return;
    try {
      store.apply(decodeJson(jsonBody(r.value), ShadowComparison, 'decode', 'shadow comparison'));
    } catch (e) {
      unreadable++;
      deps.logger.warn({ topic: deps.topic, partition: r.partition, offset: r.offset, key: r.key, err: (e as Error).message }, 'review console: skipping an unreadable shadow comparison');
    }
  };
  const follower = createTopicFollower({
    kafka: deps.kafka, topic: deps.topic, groupId: readerGroupId(`${deps.groupBase}.shadow`, deps.instanceId), logger: deps.logger, onRecord, deleteGroupOnStop: true,
  });
  return {
    start: (timeoutMs = 60_000) => follower.start(timeoutMs),
    comparisons: () => store.values(),
    unreadable: () => unreadable,
    dropped: () => store.dropped(),
    stop: () => follower.stop(),
  };
}
