/**
 * The engine's smaller parts on their own: partition ownership (assignment, fencing on receipt,
 * hand-over), the broker give-up watchdog, and the pause until a retry is due. No broker: the
 * committer is the fake of test/support/fake-committer.ts, time is a fake clock.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBrokerWatchdog } from '../../src/kafka/broker-watchdog.ts';
import { createPartitionOwnership } from '../../src/engine/partition-ownership.ts';
import { createRetryPause } from '../../src/engine/retry-pause.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { createFakeCommitter } from '../support/fake-committer.ts';

function ownership(opts: { stopping?: boolean } = {}) {
  const committer = createFakeCommitter();
  const seeks: string[] = [];
  const partitions = createPartitionOwnership({
    committer, committedOffset: committer.committedOffset, isStopping: () => opts.stopping ?? false, log: silentLogger(),
    seek: (topic, partition, offset) => seeks.push(`${topic}:${partition}@${offset}`),
  });
  return { committer, seeks, partitions };
}

describe('partition ownership', () => {
  it('fences a partition once, then trusts its committed offset as the floor', async () => {
    const { committer, partitions } = ownership();
    committer.setCommitted('in', 0, 42n);
    const s = partitions.stateFor('in', 0);
    await Promise.all([partitions.ensureReady(s), partitions.ensureReady(s)]);
    await partitions.ensureReady(s);
    expect(committer.calls.prepare).toBe(1);
    expect(s.floor).toBe(42n);
    expect(s.committedUpTo).toBe(42n);
  });

  it('tries the fencing again on the next batch when it failed', async () => {
    const { committer, partitions } = ownership();
    const s = partitions.stateFor('in', 0);
    committer.prepare = async () => {
      committer.calls.prepare++;
      if (committer.calls.prepare === 1) throw new Error('coordinator not available');
    };
    await expect(partitions.ensureReady(s)).rejects.toThrow('coordinator not available');
    await partitions.ensureReady(s);
    expect(committer.calls.prepare).toBe(2);
  });

  it('drops the state of every partition a new assignment leaves out, releasing its producer and resuming a retry pause', async () => {
    const { committer, partitions } = ownership();
    const [a, b] = [partitions.stateFor('in', 0), partitions.stateFor('in', 1)];
    let resumed = 0;
    b.retryPause.until(Date.now() + 60_000, () => () => resumed++);
    partitions.onAssignment({ in: [0] });
    await vi.waitFor(() => expect(committer.calls.release).toBe(1));
    expect(partitions.isCurrent(a)).toBe(true);
    expect(partitions.isCurrent(b)).toBe(false);
    expect(resumed).toBe(1); // KafkaJS would otherwise keep it paused when it comes back
    expect(partitions.all()).toEqual([a]);
    expect(partitions.stateFor('in', 1)).not.toBe(b);
  });

  it('hands over by moving the consumer to the committed offset, but not while stopping', async () => {
    const live = ownership();
    live.committer.setCommitted('in', 3, 17n);
    await live.partitions.handOver(live.partitions.stateFor('in', 3), 'fenced');
    expect(live.seeks).toEqual(['in:3@17']);

    const stopping = ownership({ stopping: true });
    const s = stopping.partitions.stateFor('in', 3);
    await stopping.partitions.handOver(s, 'fenced');
    expect(stopping.partitions.isCurrent(s)).toBe(false);
    expect(stopping.seeks).toEqual([]);
  });
});

describe('the broker give-up watchdog', () => {
  function watchdog(stopping = false) {
    let t = 1_000_000;
    const fatal: Error[] = [];
    const w = createBrokerWatchdog({ giveUpAfterMs: 30_000, isStopping: () => stopping, onFatal: (e) => fatal.push(e), log: silentLogger(), now: () => t });
    return { w, fatal, advance: (ms: number) => (t += ms) };
  }

  it('gives up once, on a failure after more than the give-up time without contact', () => {
    const { w, fatal, advance } = watchdog();
    advance(29_000);
    w.check(new Error('connection refused'));
    expect(fatal).toEqual([]);
    advance(2_000);
    w.check(new Error('connection refused'));
    w.check(new Error('again'));
    expect(fatal.map((e) => e.message)).toEqual(['connection refused']);
    expect(w.fatal).toBe(true);
  });

  it('counts any contact, and gives up on silence alone when ticked', () => {
    const { w, fatal, advance } = watchdog();
    advance(25_000);
    w.contact();
    advance(25_000);
    w.tick();
    expect(fatal).toEqual([]);
    advance(6_000);
    w.tick();
    expect(fatal.map((e) => e.message)).toEqual(['no contact with the Kafka cluster']);
  });

  it('never gives up while stopping', () => {
    const { w, fatal, advance } = watchdog(true);
    advance(60_000);
    w.tick();
    expect(fatal).toEqual([]);
  });
});

describe('the pause until a retry is due', () => {
  afterEach(() => vi.useRealTimers());

  it('resumes the partition when the record is due, with the newest due time winning', () => {
    vi.useFakeTimers({ now: 0 });
    const p = createRetryPause({ isStopping: () => false });
    const resumed: string[] = [];
    p.until(5_000, () => () => resumed.push('first'));
    p.until(8_000, () => () => resumed.push('second'));
    vi.advanceTimersByTime(7_999);
    expect(resumed).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(resumed).toEqual(['second']);
  });

  it('does not resume when the consumer is stopping or the pause was cancelled', () => {
    vi.useFakeTimers({ now: 0 });
    let stopping = false;
    const resumed: number[] = [];
    const a = createRetryPause({ isStopping: () => stopping });
    const b = createRetryPause({ isStopping: () => false });
    a.until(1_000, () => () => resumed.push(1));
    b.until(1_000, () => () => resumed.push(2));
    stopping = true;
    b.cancel();
    b.release(); // nothing to release once cancelled
    vi.advanceTimersByTime(2_000);
    expect(resumed).toEqual([]);
  });
});
