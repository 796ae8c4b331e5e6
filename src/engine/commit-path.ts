/**
 * The exactly-once commit: a partition's contiguous finished prefix, its outputs and the
 * consumed offset go out in one transaction. A commit whose outcome is unknown (the broker went
 * away or timed out mid-commit) is settled before anything else is committed on that partition;
 * a commit refused because a newer owner fenced us hands the partition over.
 */
import type { Committer } from '../kafka/transactional-committer.ts';
import { isFencing } from '../kafka/error-kinds.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { epochNow } from '../observability/tracing/document-trace.ts';
import type { Committable, Outcome } from './partition-tracker.ts';
import type { CommittedOffsetReader, PartitionOwnership, PartitionState } from './partition-ownership.ts';

export interface CommitPath {
  /** Commits the partition's finished prefix; joins the commit already running on it. */
  commit(s: PartitionState): Promise<void>;
  /** A document of the partition finished: commits now in eager mode, or once enough is waiting. */
  finished(s: PartitionState): void;
  /** Commits whatever is finished now, on every partition. */
  flush(): Promise<void>;
  /** Waits for the commits running now, and starts no new one afterwards (shutdown). */
  close(): Promise<void>;
  /** Documents committed since start. */
  readonly committed: number;
}

export function createCommitPath(deps: {
  committer: Pick<Committer, 'prepare' | 'commit'>;
  committedOffset: CommittedOffsetReader;
  partitions: Pick<PartitionOwnership, 'isCurrent' | 'all' | 'handOver'>;
  /** FLUSH_INTERVAL=0: commit as soon as a prefix is finished (the timer then only retries). */
  eager: boolean;
  flushMaxMessages: number;
  /** Told of every answer from the cluster and every failure, to give up on a cluster gone for good. */
  watchdog: { contact(): void; check(error: Error): void };
  log: Logger;
  metrics: Pick<Metrics, 'commits' | 'pendingCommit' | 'commitDuration' | 'endToEnd'>;
}): CommitPath {
  const { committer, partitions, log, metrics } = deps;
  let committed = 0;
  let closed = false;

  /**
   * A document's output is committed: its trace ends with the transaction, and its end-to-end
   * latency ends here (a retry hop is not an output).
   */
  function observeCommitted(o: Outcome, commit: { start: number; end: number; settled?: boolean }): void {
    o.trace?.committed(commit);
    if (o.route === 'retry' || o.enteredAt === undefined) return;
    metrics.endToEnd.observe({ route: o.route }, Math.max(0, Date.now() - o.enteredAt) / 1000);
  }

  /**
   * After a commit with an unknown outcome: fence (which ends any open transaction for the
   * partition, ours or another owner's) and read the now stable committed offset C.
   * - C is what we had committed before: the attempt did not go through; try again.
   * - C is the attempt's end: it went through; do not commit it twice.
   * - anything else: another owner fenced us and committed meanwhile, so part of our work is
   *   theirs. Keeping any of it could commit a document twice, so the state is dropped and
   *   the partition re-read from C. Returns false then.
   * The fence and the read can take long (a broker coming back, a group rebalancing): a
   * partition taken from us meanwhile is not ours to judge or commit. Returns false then too.
   */
  async function settleUnknownCommit(s: PartitionState): Promise<boolean> {
    const attempt = s.unknownCommit!;
    await committer.prepare(s.topic, s.partition);
    const committedNow = await deps.committedOffset(s.topic, s.partition);
    if (!partitions.isCurrent(s)) {
      log.info({ topic: s.topic, partition: s.partition }, 'partition lost while an unknown commit was settled: its new owner decides');
      return false;
    }
    s.unknownCommit = undefined;
    if (committedNow === s.committedUpTo) return true;
    if (committedNow === attempt.nextOffset) {
      // When that commit ran is not known: its spans end now, marked as settled.
      const now = epochNow();
      s.tracker.markCommitted(attempt.count, (o) => observeCommitted(o, { start: now, end: now, settled: true }));
      s.committedUpTo = committedNow;
      committed += attempt.count;
      log.info({ topic: s.topic, partition: s.partition, count: attempt.count, committedOffset: committedNow.toString() }, 'the earlier commit did go through: not committing it again');
      return true;
    }
    log.warn({ topic: s.topic, partition: s.partition, committedOffset: committedNow.toString(), ours: s.committedUpTo.toString(), attempted: attempt.nextOffset.toString() }, 'another owner committed this partition meanwhile; dropping our work on it');
    await partitions.handOver(s, 'committed elsewhere');
    return false;
  }

  async function attempt(s: PartitionState): Promise<void> {
    let c: Committable | undefined;
    let started = 0;
    const took = () => (performance.now() - started) / 1000;
    try {
      if (s.unknownCommit && !(await settleUnknownCommit(s))) return;
      // Checked with nothing awaited before the commit starts: the work of a partition taken
      // from us (revoked, fenced, handed over) must never be committed, least of all after a
      // wait during which its new owner read the committed offset.
      if (!partitions.isCurrent(s)) return;
      c = s.tracker.peekCommittable(deps.flushMaxMessages * 4);
      if (!c) return;
      started = performance.now();
      await committer.commit(s.topic, s.partition, c.messages, c.nextOffset);
      metrics.commitDuration.observe({ outcome: 'committed' }, took());
      deps.watchdog.contact();
      const span = { start: performance.timeOrigin + started, end: epochNow() };
      if (partitions.isCurrent(s)) s.tracker.markCommitted(c.count, (o) => observeCommitted(o, span));
      s.committedUpTo = BigInt(c.nextOffset);
      committed += c.count;
      metrics.commits.inc();
      log.debug({ topic: s.topic, partition: s.partition, count: c.count, nextOffset: c.nextOffset, outputs: c.messages.length }, 'committed');
    } catch (e) {
      if (started > 0) metrics.commitDuration.observe({ outcome: isFencing(e) ? 'aborted' : 'unknown' }, took());
      if (isFencing(e)) {
        // Another instance owns this partition now: its outputs are its business.
        log.warn({ topic: s.topic, partition: s.partition, err: (e as Error).message }, 'fenced by a newer owner; dropping the partition');
        await partitions.handOver(s, 'fenced');
      } else {
        // Transient (broker restart, timeout): the outcome is unknown, so the next flush first
        // checks whether it went through, then commits what is still uncommitted.
        if (c && !s.unknownCommit) s.unknownCommit = { nextOffset: BigInt(c.nextOffset), count: c.count };
        log.warn({ topic: s.topic, partition: s.partition, err: (e as Error).message }, 'commit failed; will verify and retry');
        deps.watchdog.check(e as Error);
      }
    }
  }

  function commit(s: PartitionState): Promise<void> {
    if (s.committing) return s.committing;
    if (closed || (!s.unknownCommit && !s.tracker.peekCommittable(1))) return Promise.resolve();
    s.committing = (async () => {
      try {
        await attempt(s);
      } finally {
        s.committing = undefined;
      }
      // Eager mode: what finished during this commit goes out right after it, so commits batch
      // themselves under load and a lone document is not held for a timer.
      if (deps.eager && !s.unknownCommit && partitions.isCurrent(s) && s.tracker.peekCommittable(1)) {
        void commit(s);
      }
    })();
    return s.committing;
  }

  async function flush(): Promise<void> {
    await Promise.all(partitions.all().map((s) => commit(s)));
    let waiting = 0;
    for (const s of partitions.all()) waiting += s.tracker.waiting;
    metrics.pendingCommit.set(waiting);
  }

  return {
    commit,
    finished(s) {
      if (deps.eager || s.tracker.waiting >= deps.flushMaxMessages) void commit(s);
    },
    flush,
    async close() {
      closed = true;
      for (const s of partitions.all()) if (s.committing) await s.committing.catch(() => undefined);
    },
    get committed() {
      return committed;
    },
  };
}
