/**
 * Which partitions this consumer owns, and the state it keeps for each. A partition we receive
 * is fenced first (the previous owner's open transaction ends) and its now stable committed
 * offset read: records below it were committed by a previous owner and are skipped. A partition
 * revoked, or taken over by a newer owner, is dropped: we never commit for offsets we no longer
 * own. Handing over also moves our consumer back to the committed offset, to re-read from there.
 */
import type { Admin } from 'kafkajs';
import type { Committer } from '../kafka/transactional-committer.ts';
import type { Logger } from '../observability/logger.ts';
import { createPartitionTracker, type PartitionTracker } from './partition-tracker.ts';
import { createRetryPause, type RetryPause } from './retry-pause.ts';

export interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly tracker: PartitionTracker;
  /** Records below this offset were committed by a previous owner: skip them. */
  floor: bigint;
  /** The group's committed offset for this partition as far as we know: the floor, then each commit's. */
  committedUpTo: bigint;
  ready: Promise<void> | undefined;
  committing: Promise<void> | undefined;
  /**
   * Set when a commit failed with an unknown outcome (broker gone, timeout mid-commit): before
   * trying again, the partition is fenced and its committed offset read, so a transaction that
   * did commit is not committed twice (see commit-path.ts).
   */
  unknownCommit: { nextOffset: bigint; count: number } | undefined;
  readonly retryPause: RetryPause;
}

/** The group's committed offset of a partition, -1 when it has none. */
export type CommittedOffsetReader = (topic: string, partition: number) => Promise<bigint>;

export function committedOffsetReader(admin: () => Admin, groupId: string): CommittedOffsetReader {
  return async (topic, partition) => {
    const res = await admin().fetchOffsets({ groupId, topics: [topic] });
    const o = res.find((r) => r.topic === topic)?.partitions.find((p) => p.partition === partition)?.offset;
    return o === undefined || Number(o) < 0 ? -1n : BigInt(o);
  };
}

export interface PartitionOwnership {
  /** The state of a partition we read, made on its first batch. */
  stateFor(topic: string, partition: number): PartitionState;
  /** Fences the partition and reads its committed offset, once per state. */
  ensureReady(s: PartitionState): Promise<void>;
  /** False once the state was dropped (revoked, fenced): its work must not be committed. */
  isCurrent(s: PartitionState): boolean;
  all(): PartitionState[];
  readonly size: number;
  drop(s: PartitionState, why: string): Promise<void>;
  /** Drops the state and moves our consumer to the partition's committed offset, to re-read from there. */
  handOver(s: PartitionState, why: string): Promise<void>;
  /** A new assignment: drops the state of every partition not in it. */
  onAssignment(assignment: Record<string, number[]>): void;
  /** The partitions the group gave us last, read or not (a paused consumer reads none). */
  assignment(): Record<string, number[]>;
}

export function createPartitionOwnership(deps: {
  committer: Pick<Committer, 'prepare' | 'release'>;
  committedOffset: CommittedOffsetReader;
  /** Moves the consumer's position on a partition. */
  seek: (topic: string, partition: number, offset: string) => void;
  isStopping: () => boolean;
  log: Logger;
}): PartitionOwnership {
  const { committer, log } = deps;
  const partitions = new Map<string, PartitionState>();
  /** The states in `partitions`, for isCurrent: asked several times per document, without building a key. */
  const current = new Set<PartitionState>();
  const pkey = (topic: string, partition: number) => `${topic}:${partition}`;
  let assigned: Record<string, number[]> = {};

  async function drop(s: PartitionState, why: string): Promise<void> {
    const k = pkey(s.topic, s.partition);
    if (partitions.get(k) !== s) return;
    partitions.delete(k);
    current.delete(s);
    s.retryPause.release();
    log.info({ topic: s.topic, partition: s.partition, dropped: s.tracker.size, why }, 'partition state dropped');
    await committer.release(s.topic, s.partition).catch(() => undefined);
  }

  return {
    stateFor(topic, partition) {
      const k = pkey(topic, partition);
      let s = partitions.get(k);
      if (!s) {
        s = {
          topic, partition, tracker: createPartitionTracker(), floor: -1n, committedUpTo: -1n,
          ready: undefined, committing: undefined, unknownCommit: undefined,
          retryPause: createRetryPause({ isStopping: deps.isStopping }),
        };
        partitions.set(k, s);
        current.add(s);
      }
      return s;
    },

    async ensureReady(s) {
      s.ready ??= (async () => {
        await committer.prepare(s.topic, s.partition);
        s.floor = await deps.committedOffset(s.topic, s.partition);
        s.committedUpTo = s.floor;
        log.info({ topic: s.topic, partition: s.partition, committedOffset: s.floor.toString() }, 'partition ready');
      })();
      try {
        await s.ready;
      } catch (e) {
        s.ready = undefined;
        throw e;
      }
    },

    isCurrent: (s) => current.has(s),
    all: () => [...partitions.values()],
    get size() {
      return partitions.size;
    },
    drop,

    async handOver(s, why) {
      await drop(s, why);
      if (deps.isStopping()) return;
      try {
        const o = await deps.committedOffset(s.topic, s.partition);
        deps.seek(s.topic, s.partition, (o < 0n ? 0n : o).toString());
      } catch {
        // Not ours any more, or the broker is away: the next assignment re-reads the offset.
      }
    },

    assignment: () => assigned,

    onAssignment(assignment) {
      assigned = assignment;
      const owned = new Set<string>();
      for (const [topic, parts] of Object.entries(assignment)) for (const p of parts) owned.add(pkey(topic, p));
      for (const [k, s] of partitions) {
        if (!owned.has(k)) void drop(s, 'revoked');
      }
    },
  };
}
