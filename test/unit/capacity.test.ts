import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCapacity } from '../../src/engine/capacity.ts';

const always = () => true;
const noBeat = async () => {};

/** Tracks whether a promise has settled, without awaiting it. */
function track<T>(p: Promise<T>) {
  const s: { done: boolean; value: T | undefined } = { done: false, value: undefined };
  void p.then((v) => {
    s.done = true;
    s.value = v;
  });
  return s;
}

/** A capacity of `slots` slots, every one of them taken. */
async function fullCapacity(slots: number) {
  const cap = createCapacity({ maxInFlight: slots, maxPendingBytes: 1000, pendingBytes: () => 0 });
  for (let i = 0; i < slots; i++) await cap.acquire(always, noBeat);
  return cap;
}

/** A waiter on a full capacity of one, for as long as it is wanted. */
async function wantedWaiter() {
  const cap = await fullCapacity(1);
  let wanted = true;
  const w = track(cap.acquire(() => wanted, noBeat));
  return { cap, w, unwant: () => void (wanted = false) };
}

describe('Capacity', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('grants slots up to maxInFlight without waiting', async () => {
    const cap = createCapacity({ maxInFlight: 3, maxPendingBytes: 1000, pendingBytes: () => 0 });
    for (let i = 0; i < 3; i++) await expect(cap.acquire(always, noBeat)).resolves.toBe(true);
    expect(cap.used).toBe(3);
  });

  it('blocks when full and wakes on release', async () => {
    const cap = await fullCapacity(2);
    const third = track(cap.acquire(always, noBeat));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(third.done).toBe(false);
    expect(cap.used).toBe(2);
    cap.release();
    // The release wakes the waiter without any timer having to fire.
    await vi.advanceTimersByTimeAsync(0);
    expect(third).toEqual({ done: true, value: true });
    expect(cap.used).toBe(2);
  });

  it('lets exactly one of several waiters in per released slot', async () => {
    const cap = await fullCapacity(1);
    const waiters = [track(cap.acquire(always, noBeat)), track(cap.acquire(always, noBeat)), track(cap.acquire(always, noBeat))];
    await vi.advanceTimersByTimeAsync(0);
    cap.release();
    await vi.advanceTimersByTimeAsync(1000);
    expect(waiters.filter((w) => w.done)).toHaveLength(1);
    expect(cap.used).toBe(1);
    cap.release();
    await vi.advanceTimersByTimeAsync(1000);
    expect(waiters.filter((w) => w.done)).toHaveLength(2);
    cap.release();
    await vi.advanceTimersByTimeAsync(1000);
    expect(waiters.every((w) => w.done && w.value === true)).toBe(true);
    expect(cap.used).toBe(1);
  });

  it('returns false at once when full and no longer wanted', async () => {
    const cap = await fullCapacity(1);
    await expect(cap.acquire(() => false, noBeat)).resolves.toBe(false);
    expect(cap.used).toBe(1);
  });

  it('returns false when the wish ends while waiting (partition revoked), taking no slot', async () => {
    const { cap, w, unwant } = await wantedWaiter();
    await vi.advanceTimersByTimeAsync(1000);
    expect(w.done).toBe(false);
    unwant();
    await vi.advanceTimersByTimeAsync(600);
    expect(w).toEqual({ done: true, value: false });
    expect(cap.used).toBe(1);
  });

  it('returns false when the slot frees up but the wish has ended', async () => {
    const { cap, w, unwant } = await wantedWaiter();
    await vi.advanceTimersByTimeAsync(0);
    unwant();
    cap.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(w.value).toBe(false);
    expect(cap.used).toBe(0);
  });

  it('blocks while pending bytes are at the bound, and re-checks them without a release', async () => {
    let pending = 5000;
    const cap = createCapacity({ maxInFlight: 10, maxPendingBytes: 5000, pendingBytes: () => pending });
    const w = track(cap.acquire(always, noBeat));
    await vi.advanceTimersByTimeAsync(3000);
    expect(w.done).toBe(false);
    expect(cap.used).toBe(0);
    // A commit shrinks pending bytes: no release() happens, the periodic re-check sees it.
    pending = 4999;
    await vi.advanceTimersByTimeAsync(500);
    expect(w).toEqual({ done: true, value: true });
    expect(cap.used).toBe(1);
  });

  it('calls whileWaiting (the heartbeat) while blocked, and not before 2 s', async () => {
    const cap = await fullCapacity(1);
    const beat = vi.fn(async () => {});
    const w = track(cap.acquire(always, beat));
    await vi.advanceTimersByTimeAsync(2000);
    expect(beat).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1000);
    expect(beat).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(10_000);
    // Roughly every 2-2.5 s while still blocked: several beats, not one per 500 ms check.
    expect(beat.mock.calls.length).toBeGreaterThanOrEqual(4);
    expect(beat.mock.calls.length).toBeLessThanOrEqual(6);
    cap.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(w.value).toBe(true);
    const beats = beat.mock.calls.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(beat).toHaveBeenCalledTimes(beats);
  });

  it('never calls whileWaiting when a slot is free', async () => {
    const cap = createCapacity({ maxInFlight: 1, maxPendingBytes: 1000, pendingBytes: () => 0 });
    const beat = vi.fn(async () => {});
    await cap.acquire(always, beat);
    expect(beat).not.toHaveBeenCalled();
  });

  it('heartbeats once per interval across many short waits, not only within one long wait', async () => {
    const cap = createCapacity({ maxInFlight: 1, maxPendingBytes: 1000, pendingBytes: () => 0, heartbeatIntervalMs: 1000 });
    let beats = 0;
    const beat = async () => {
      beats++;
    };
    await cap.acquire(always, beat);
    // 20 documents in a row, each waiting 300 ms for the one before it to finish: 6 s in all.
    for (let i = 0; i < 20; i++) {
      const next = cap.acquire(always, beat);
      await vi.advanceTimersByTimeAsync(300);
      cap.release();
      await expect(next).resolves.toBe(true);
    }
    expect(beats).toBeGreaterThanOrEqual(4);
  });
});
