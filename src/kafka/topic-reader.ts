/**
 * Reads a (usually compacted) topic from the beginning, read_committed, in a consumer group
 * of its own, and keeps following it. `start()` resolves once every record that was in the
 * topic when it started has been handed over, so that a reader never acts on half a state.
 *
 * Catching up is judged by the last offset of each fetched batch, control records included:
 * a topic written in transactions ends with a commit marker, which is never a message, so
 * waiting for "the message at high watermark - 1" would wait forever.
 */
import { randomUUID } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import { createBrokerWatchdog } from './broker-watchdog.ts';
import type { KafkaClient } from './client.ts';
import { createConsumerLifecycle, type ConsumerLifecycle } from './consumer-lifecycle.ts';
import type { Logger } from '../observability/logger.ts';
import { sleep } from '../util/sleep.ts';

export interface FollowedRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  /** The record's raw key bytes and headers, for readers that move records on untouched. */
  message: KafkaMessage;
}

export interface TopicFollowerDeps {
  kafka: KafkaClient;
  topic: string;
  /** Unique per reader: every reader needs every partition. */
  groupId: string;
  logger: Logger;
  onRecord: (r: FollowedRecord) => void;
  /** Per partition: the offset to start at instead of the beginning (records before it are not handed over). */
  from?: ReadonlyMap<number, bigint>;
  /** Per partition: read only the records before this offset, and catch up to it instead of the current end. */
  until?: ReadonlyMap<number, bigint>;
  /**
   * After each fetched batch of a partition is handed over: the last offset it covered, control
   * records included. Lets a reader wait until it has seen a partition up to a known offset.
   */
  onProgress?: (partition: number, lastOffset: string) => void;
  /** The group only holds a reader's position in memory: delete it when the reader stops. */
  deleteGroupOnStop?: boolean;
}

export interface TopicFollower {
  /** True once caught up; false if timeoutMs passed first (records keep coming either way). */
  start(timeoutMs?: number): Promise<boolean>;
  stop(): Promise<void>;
}

export function createTopicFollower(deps: TopicFollowerDeps): TopicFollower {
  let consumer: ConsumerLifecycle | undefined;
  let stopping = false;
  let resolveCaughtUp: (() => void) | undefined;
  const caughtUp = new Promise<void>((r) => (resolveCaughtUp = r));
  /** partition → the last offset that must have been read. */
  const pending = new Map<number, bigint>();
  const progress = (partition: number, lastOffset: string) => {
    const target = pending.get(partition);
    if (target !== undefined && BigInt(lastOffset) >= target) pending.delete(partition);
    if (pending.size === 0) resolveCaughtUp?.();
  };

  return {
    async start(timeoutMs = 30_000) {
      for (const o of await topicOffsets(deps.kafka, deps.topic)) {
        const start = deps.from?.get(o.partition) ?? BigInt(o.low);
        const end = deps.until?.get(o.partition) ?? BigInt(o.high);
        if (end > start && end > BigInt(o.low)) pending.set(o.partition, end - 1n);
      }
      if (pending.size === 0) resolveCaughtUp?.();

      // A follower runs as long as its process: a consumer that crashes is started again (the
      // lifecycle's restarts), and one that never comes back is the process's broker watchdog's.
      const lifecycle = createConsumerLifecycle({
        kafka: deps.kafka, groupId: deps.groupId, topics: [deps.topic],
        // A group of its own, one member: after a crash without leaving, its restart waits out this session.
        sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, maxWaitTimeInMs: 200, partitionsConsumedConcurrently: 1,
        watchdog: createBrokerWatchdog({ giveUpAfterMs: Number.POSITIVE_INFINITY, isStopping: () => stopping, log: deps.logger }),
        isStopping: () => stopping, log: deps.logger.child({ follower: deps.topic }),
        onConsumer: (c) => c.on(c.events.END_BATCH_PROCESS, (e) => {
          deps.onProgress?.(e.payload.partition, e.payload.lastOffset);
          progress(e.payload.partition, e.payload.lastOffset);
        }),
        // A seek made on joining, before the first fetch, replaces the group's starting position
        // (on every join: a restarted consumer would start from the beginning again).
        onAssignment: () => {
          for (const [partition, offset] of deps.from ?? []) lifecycle.seek(deps.topic, partition, offset.toString());
        },
        eachBatch: async ({ batch, resolveOffset }) => {
          const from = deps.from?.get(batch.partition);
          const until = deps.until?.get(batch.partition);
          for (const m of batch.messages) {
            resolveOffset(m.offset);
            if (from !== undefined && BigInt(m.offset) < from) continue;
            if (until !== undefined && BigInt(m.offset) >= until) continue;
            deps.onRecord({ partition: batch.partition, offset: m.offset, key: m.key?.toString('utf8') ?? null, value: m.value, message: m });
          }
        },
      });
      consumer = lifecycle;
      await lifecycle.start();

      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
      const ok = await Promise.race([caughtUp.then(() => true), timedOut]);
      clearTimeout(timer);
      if (!ok) deps.logger.warn({ topic: deps.topic, behindPartitions: [...pending.keys()], timeoutMs }, 'topic reader has not caught up yet; going on');
      return ok;
    },
    async stop() {
      stopping = true;
      await consumer?.disconnect().catch(() => undefined);
      if (!deps.deleteGroupOnStop) return;
      const admin = deps.kafka.admin();
      try {
        await admin.connect();
        await admin.deleteGroups([deps.groupId]);
      } catch {
        // Best effort: an empty group without offsets is removed by the broker anyway.
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
  };
}

/**
 * Low and high offsets of every partition. KafkaJS's admin gives up at once on a "not the
 * leader" answer, which a broker gives for a moment after a topic is created or moved; this
 * asks again, with fresh metadata, for a while.
 */
export async function topicOffsets(kafka: KafkaClient, topic: string, timeoutMs = 15_000): Promise<{ partition: number; low: string; high: string }[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      return await admin.fetchTopicOffsets(topic);
    } catch (e) {
      if (Date.now() > deadline || (e as { retriable?: boolean }).retriable !== true) throw e;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await sleep(200);
  }
}

/** A group name for one short-lived or per-process reader. */
export function readerGroupId(base: string, purpose: string): string {
  return `${base}.${purpose}.${randomUUID().slice(0, 8)}`;
}

/**
 * Reads a topic once, up to its end at the time of the call. Throws if it cannot catch up in
 * time: callers rebuild state from what they read, and half a state is worse than none.
 */
export async function readTopicOnce(
  deps: Omit<TopicFollowerDeps, 'groupId' | 'deleteGroupOnStop'> & { groupBase: string; timeoutMs?: number },
): Promise<void> {
  const follower = createTopicFollower({ ...deps, groupId: readerGroupId(deps.groupBase, 'read'), deleteGroupOnStop: true });
  try {
    const ok = await follower.start(deps.timeoutMs ?? 30_000);
    if (!ok) throw new Error(`could not read ${deps.topic} to its end within ${deps.timeoutMs ?? 30_000} ms`);
  } finally {
    await follower.stop();
  }
}
