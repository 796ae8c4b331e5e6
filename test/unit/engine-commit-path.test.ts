/**
 * The engine's commit path (src/engine/commit-path.ts) with the real partition ownership and
 * tracker, and a fake committer instead of the broker: what is committed, when, and how a
 * commit of unknown outcome or a fenced one is settled.
 */
import { describe, expect, it } from 'vitest';
import { createCommitPath } from '../../src/engine/commit-path.ts';
import { createPartitionOwnership, type PartitionState } from '../../src/engine/partition-ownership.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { createFakeCommitter, fencedError, timeoutError } from '../support/fake-committer.ts';

const TOPIC = 'in';

function harness(opts: { eager?: boolean; flushMaxMessages?: number } = {}) {
  const committer = createFakeCommitter();
  const seeks: { topic: string; partition: number; offset: string }[] = [];
  const watchdog = { contacts: 0, failures: [] as Error[], contact() { this.contacts++; }, check(e: Error) { this.failures.push(e); } };
  const partitions = createPartitionOwnership({
    committer, committedOffset: committer.committedOffset, isStopping: () => false, log: silentLogger(),
    seek: (topic, partition, offset) => seeks.push({ topic, partition, offset }),
  });
  const metrics = createMetrics();
  const commits = createCommitPath({
    committer, committedOffset: (t, p) => committer.committedOffset(t, p), partitions, eager: opts.eager ?? false,
    flushMaxMessages: opts.flushMaxMessages ?? 100, watchdog, log: silentLogger(), metrics,
  });
  return {
    committer, seeks, watchdog, partitions, metrics, commits,
    /** A partition as the engine has it after its first batch: fenced, committed offset read. */
    async partition(p = 0): Promise<PartitionState> {
      const s = partitions.stateFor(TOPIC, p);
      await partitions.ensureReady(s);
      return s;
    },
    /** Offsets read and in flight. */
    read(s: PartitionState, from: number, to: number) {
      for (let o = from; o <= to; o++) s.tracker.add(String(o));
    },
    /** A document finished with one output keyed by its offset, as dispatch reports it. */
    finish(s: PartitionState, ...offsets: number[]) {
      for (const o of offsets) {
        s.tracker.complete(String(o), [{ topic: 'out', key: `p${s.partition}-${o}`, value: Buffer.from('x'), headers: {} }]);
        commits.finished(s);
      }
    },
  };
}

const range = (p: number, from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `p${p}-${from + i}`);

describe('the commit path', () => {
  it('commits only the contiguous finished prefix, with its outputs and the offset after it', async () => {
    const h = harness();
    const s = await h.partition();
    h.read(s, 0, 4);
    h.finish(s, 0, 1, 3);
    await h.commits.flush();
    expect(h.committer.attempts).toEqual([{ topic: TOPIC, partition: 0, nextOffset: '2', keys: range(0, 0, 1) }]);
    expect(await h.committer.committedOffset(TOPIC, 0)).toBe(2n);
    expect(h.watchdog.contacts).toBe(1);
    h.finish(s, 2, 4);
    await h.commits.flush();
    expect(h.committer.outputs).toEqual(range(0, 0, 4));
    expect(await h.committer.committedOffset(TOPIC, 0)).toBe(5n);
    expect(h.commits.committed).toBe(5);
    expect(s.tracker.size).toBe(0);
  });

  describe('after a commit whose outcome is unknown', () => {
    /** Offsets 0..4 read, 0..2 finished, and their commit failed with a timeout after it did (or did not) apply. */
    async function afterUnknownCommit(applied: boolean) {
      const h = harness();
      const s = await h.partition();
      h.read(s, 0, 4);
      h.finish(s, 0, 1, 2);
      h.committer.faults.push({ error: timeoutError(), applied });
      await h.commits.flush();
      expect(s.unknownCommit).toEqual({ nextOffset: 3n, count: 3 });
      expect(h.watchdog.failures).toHaveLength(1);
      return { h, s };
    }

    it('that did not go through (the committed offset is unchanged): fences, then commits the same documents again', async () => {
      const { h, s } = await afterUnknownCommit(false);
      expect(h.committer.outputs).toEqual([]);
      const preparesBefore = h.committer.calls.prepare;

      h.finish(s, 3);
      await h.commits.flush();
      expect(h.committer.calls.prepare).toBe(preparesBefore + 1); // fenced before reading the offset
      expect(h.committer.outputs).toEqual(range(0, 0, 3));
      expect(await h.committer.committedOffset(TOPIC, 0)).toBe(4n);
      expect(s.unknownCommit).toBeUndefined();
      expect(h.commits.committed).toBe(4);
      expect(h.partitions.isCurrent(s)).toBe(true);
    });

    it('that did go through (the committed offset is the attempt\'s end): does not commit it twice', async () => {
      const { h, s } = await afterUnknownCommit(true);
      expect(h.committer.outputs).toEqual(range(0, 0, 2));

      h.finish(s, 3, 4);
      await h.commits.flush();
      // The second transaction starts where the first really ended: each output once.
      expect(h.committer.attempts.map((a) => a.nextOffset)).toEqual(['3', '5']);
      expect(h.committer.attempts[1]!.keys).toEqual(range(0, 3, 4));
      expect(h.committer.outputs).toEqual(range(0, 0, 4));
      expect(h.commits.committed).toBe(5);
      expect(s.tracker.size).toBe(0);
    });

    it('while another owner committed beyond it: drops the state, releases the producer and re-reads from that owner\'s offset', async () => {
      const h = harness();
      const s = await h.partition();
      h.read(s, 0, 9);
      h.finish(s, 0, 1, 2, 3, 4);
      // A newer owner fences us and commits 0..7 while our commit of 0..4 is in doubt.
      h.committer.faults.push({ error: timeoutError(), applied: false, meanwhile: () => h.committer.setCommitted(TOPIC, 0, 8n) });
      await h.commits.flush();
      expect(h.partitions.isCurrent(s)).toBe(true);

      h.finish(s, 5, 6, 7, 8, 9);
      await h.commits.flush();
      expect(h.partitions.isCurrent(s)).toBe(false);
      expect(h.committer.calls.release).toBe(1);
      expect(h.seeks).toEqual([{ topic: TOPIC, partition: 0, offset: '8' }]);
      expect(h.committer.attempts).toHaveLength(1); // nothing of ours after the doubt
      expect(h.commits.committed).toBe(0);

      // The partition's next batch starts a new state whose floor is the other owner's offset.
      const next = await h.partition();
      expect(next).not.toBe(s);
      expect(next.floor).toBe(8n);
      await h.commits.flush();
      expect(h.committer.attempts).toHaveLength(1);
    });
  });

  it('revoked while an unknown commit is settled: commits nothing of it once the new owner has the partition', async () => {
    // The combined-faults duplicate (issue 21): the fence and the offset read took long, the
    // partition moved meanwhile, its new owner committed the same documents, and the old state's
    // commit went ahead after the read.
    const h = harness();
    const s = await h.partition();
    h.read(s, 0, 2);
    h.finish(s, 0, 1, 2);
    h.committer.faults.push({ error: timeoutError(), applied: false });
    await h.commits.flush();
    expect(s.unknownCommit).toBeDefined();
    let readStarted!: () => void;
    const reading = new Promise<void>((r) => (readStarted = r));
    let answer!: () => void;
    const slowAnswer = new Promise<void>((r) => (answer = r));
    const plainRead = h.committer.committedOffset;
    h.committer.committedOffset = async (t, p) => {
      readStarted();
      await slowAnswer;
      return plainRead(t, p);
    };
    const settling = h.commits.flush();
    await reading;
    h.partitions.onAssignment({}); // revoked mid-settle
    answer();
    await settling;
    expect(h.committer.attempts).toHaveLength(1); // only the first, failed attempt
    expect(h.committer.outputs).toEqual([]);
    expect(h.commits.committed).toBe(0);
  });

  it('fenced by a newer owner: hands the partition over at once, without retrying the commit', async () => {
    const h = harness();
    const s = await h.partition();
    h.committer.setCommitted(TOPIC, 0, 0n);
    h.read(s, 0, 2);
    h.finish(s, 0, 1, 2);
    h.committer.faults.push({ error: fencedError(), applied: false, meanwhile: () => h.committer.setCommitted(TOPIC, 0, 1n) });
    await h.commits.flush();
    expect(h.partitions.isCurrent(s)).toBe(false);
    expect(s.unknownCommit).toBeUndefined();
    expect(h.watchdog.failures).toEqual([]); // not a broker problem
    expect(h.seeks).toEqual([{ topic: TOPIC, partition: 0, offset: '1' }]);
    await h.commits.flush();
    expect(h.committer.attempts).toHaveLength(1);
    expect(h.committer.outputs).toEqual([]);
  });

  it('in eager mode commits a finished document at once, and what finished during a commit right after it', async () => {
    const h = harness({ eager: true });
    const s = await h.partition();
    h.read(s, 0, 3);
    let open!: () => void;
    h.committer.gate = new Promise<void>((r) => (open = r));
    h.finish(s, 0); // starts a commit of 0, held at the gate
    expect(h.committer.attempts.map((a) => a.nextOffset)).toEqual(['1']);
    h.finish(s, 1, 2); // join the running commit instead of starting their own
    expect(h.committer.attempts).toHaveLength(1);
    h.committer.gate = undefined;
    open();
    // No flush: the eager path re-commits what finished meanwhile by itself.
    await expect.poll(() => h.committer.outputs).toEqual(range(0, 0, 2));
    expect(h.committer.attempts.map((a) => a.nextOffset)).toEqual(['1', '3']);
    await expect.poll(() => s.committing).toBeUndefined();
    expect(h.committer.attempts).toHaveLength(2);
  });

  it('outside eager mode waits for the flush, or for flushMaxMessages finished documents', async () => {
    const h = harness({ flushMaxMessages: 3 });
    const s = await h.partition();
    h.read(s, 0, 5);
    h.finish(s, 0, 1);
    await Promise.resolve();
    expect(h.committer.attempts).toEqual([]);
    h.finish(s, 2);
    await expect.poll(() => h.committer.outputs).toEqual(range(0, 0, 2));
  });

  it('flush commits every partition and reports what waits behind a gap', async () => {
    const h = harness();
    const [a, b] = [await h.partition(0), await h.partition(1)];
    h.read(a, 0, 2);
    h.read(b, 0, 2);
    h.finish(a, 0, 1);
    h.finish(b, 0, 2); // 2 waits behind 1, still in flight
    await h.commits.flush();
    expect(h.committer.outputs.sort()).toEqual(['p0-0', 'p0-1', 'p1-0']);
    expect((await h.metrics.pendingCommit.get()).values[0]!.value).toBe(1);
    expect(h.commits.committed).toBe(3);
  });

  it('starts no commit once closed, after waiting for the one running', async () => {
    const h = harness();
    const s = await h.partition();
    h.read(s, 0, 1);
    h.finish(s, 0);
    let open!: () => void;
    h.committer.gate = new Promise<void>((r) => (open = r));
    const running = h.commits.flush();
    const closed = h.commits.close();
    h.finish(s, 1);
    open();
    await Promise.all([running, closed]);
    expect(h.committer.outputs).toEqual(['p0-0']);
    await h.commits.flush();
    expect(h.committer.attempts).toHaveLength(1);
  });
});
