import { describe, expect, it } from 'vitest';
import { createPartitionTracker } from '../../src/engine/partition-tracker.ts';
import type { OutgoingMessage } from '../../src/kafka/records.ts';
import { mulberry32 } from '../support/random.ts';

const msg = (id: string, valueBytes = 0): OutgoingMessage => ({
  topic: 'out',
  key: id,
  value: valueBytes > 0 ? Buffer.alloc(valueBytes) : null,
  headers: {},
});


function shuffle<T>(xs: T[], rand: () => number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

describe('PartitionTracker', () => {
  it('has nothing to commit while the first offset is in flight', () => {
    const t = createPartitionTracker();
    t.add('10');
    t.add('11');
    expect(t.peekCommittable()).toBeUndefined();
    expect(t.complete('11', [msg('b')])).toBe(true);
    // 11 is done but behind the gap at 10.
    expect(t.peekCommittable()).toBeUndefined();
    expect(t.inFlight).toBe(1);
    expect(t.waiting).toBe(1);
    expect(t.size).toBe(2);
  });

  it('commits only the contiguous done prefix, with nextOffset = last + 1', () => {
    const t = createPartitionTracker();
    for (const o of ['5', '6', '7', '8']) t.add(o);
    t.complete('5', [msg('a')]);
    t.complete('6', [msg('b'), msg('b2')]);
    t.complete('8', [msg('d')]);
    const c = t.peekCommittable();
    expect(c).toBeDefined();
    expect(c!.nextOffset).toBe('7');
    expect(c!.count).toBe(2);
    expect(c!.messages.map((m) => m.key)).toEqual(['a', 'b', 'b2']);
  });

  it('releases the held-back entries once the gap fills', () => {
    const t = createPartitionTracker();
    for (const o of ['0', '1', '2']) t.add(o);
    t.complete('1', [msg('b')]);
    t.complete('2', [msg('c')]);
    expect(t.peekCommittable()).toBeUndefined();
    t.complete('0', [msg('a')]);
    const c = t.peekCommittable()!;
    expect(c.nextOffset).toBe('3');
    expect(c.count).toBe(3);
    expect(c.messages.map((m) => m.key)).toEqual(['a', 'b', 'c']);
  });

  it('peek does not remove; markCommitted does', () => {
    const t = createPartitionTracker();
    t.add('0');
    t.add('1');
    t.complete('0', [msg('a')]);
    const first = t.peekCommittable();
    const again = t.peekCommittable();
    expect(again).toEqual(first);
    expect(t.size).toBe(2);
    t.markCommitted(first!.count);
    expect(t.size).toBe(1);
    expect(t.waiting).toBe(0);
    expect(t.peekCommittable()).toBeUndefined();
    t.complete('1', [msg('b')]);
    expect(t.peekCommittable()).toMatchObject({ nextOffset: '2', count: 1 });
  });

  it('limits a peek to maxCount entries', () => {
    const t = createPartitionTracker();
    for (let i = 0; i < 5; i++) {
      t.add(String(i));
      t.complete(String(i), [msg(String(i))]);
    }
    const c = t.peekCommittable(2)!;
    expect(c.count).toBe(2);
    expect(c.nextOffset).toBe('2');
    expect(c.messages.map((m) => m.key)).toEqual(['0', '1']);
    t.markCommitted(c.count);
    expect(t.peekCommittable()).toMatchObject({ count: 3, nextOffset: '5' });
  });

  it('counts an entry with no output messages (it still moves the commit point)', () => {
    const t = createPartitionTracker();
    t.add('0');
    t.complete('0', []);
    expect(t.peekCommittable()).toEqual({ messages: [], nextOffset: '1', count: 1, bytes: 0 });
  });

  it('computes nextOffset with BigInt beyond Number.MAX_SAFE_INTEGER', () => {
    const t = createPartitionTracker();
    t.add('9007199254740992');
    t.add('9007199254740993');
    t.complete('9007199254740992', []);
    t.complete('9007199254740993', []);
    // As a Number, 9007199254740993 + 1 would come out as 9007199254740992 or ...996.
    expect(t.peekCommittable()!.nextOffset).toBe('9007199254740994');
    expect(t.highestAdded()).toBe(9007199254740993n);
  });

  it('reports the highest offset added', () => {
    const t = createPartitionTracker();
    expect(t.highestAdded()).toBeUndefined();
    t.add('3');
    t.add('4');
    expect(t.highestAdded()).toBe(4n);
  });

  it('returns false for an unknown, already completed or already committed offset', () => {
    const t = createPartitionTracker();
    expect(t.complete('42', [msg('x')])).toBe(false);
    t.add('0');
    expect(t.complete('0', [msg('a')])).toBe(true);
    expect(t.complete('0', [msg('again')])).toBe(false);
    expect(t.peekCommittable()!.messages.map((m) => m.key)).toEqual(['a']);
    t.markCommitted(1);
    expect(t.complete('0', [msg('late')])).toBe(false);
    expect(t.inFlight).toBe(0);
    expect(t.waiting).toBe(0);
  });

  it('keeps inFlight, waiting and waitingBytes in step', () => {
    const t = createPartitionTracker();
    for (const o of ['0', '1', '2']) t.add(o);
    expect([t.inFlight, t.waiting, t.waitingBytes]).toEqual([3, 0, 0]);
    // Each message counts its value bytes plus a fixed 64-byte overhead.
    t.complete('1', [msg('b', 100)]);
    expect([t.inFlight, t.waiting, t.waitingBytes]).toEqual([2, 1, 164]);
    t.complete('2', [msg('c', 10), msg('c2')]);
    expect([t.inFlight, t.waiting, t.waitingBytes]).toEqual([1, 2, 164 + 74 + 64]);
    t.complete('0', [msg('a', 1000)]);
    expect([t.inFlight, t.waiting, t.waitingBytes]).toEqual([0, 3, 1064 + 164 + 74 + 64]);
    const c = t.peekCommittable()!;
    expect(c.bytes).toBe(1064 + 164 + 74 + 64);
    t.markCommitted(2);
    expect([t.inFlight, t.waiting, t.waitingBytes, t.size]).toEqual([0, 1, 74 + 64, 1]);
    t.markCommitted(1);
    expect([t.inFlight, t.waiting, t.waitingBytes, t.size]).toEqual([0, 0, 0, 0]);
  });

  it('commits every offset exactly once and in order, whatever the completion order (with compaction)', () => {
    for (const seed of [1, 7, 1234, 98765]) {
      const rand = mulberry32(seed);
      const t = createPartitionTracker();
      const base = 9_007_199_254_740_000n; // beyond 2^53, to keep BigInt arithmetic honest
      const total = 5000;
      const committed: string[] = [];
      let committedUpTo = base;
      let nextToAdd = 0;
      const inFlight: string[] = [];

      const commitSome = () => {
        const c = t.peekCommittable(1 + Math.floor(rand() * 700));
        if (!c) return;
        for (const m of c.messages) committed.push(m.key as string);
        const last = BigInt(c.messages.at(-1)!.key as string);
        expect(c.nextOffset).toBe((last + 1n).toString());
        expect(BigInt(c.nextOffset)).toBeGreaterThan(committedUpTo);
        committedUpTo = BigInt(c.nextOffset);
        t.markCommitted(c.count);
      };

      while (nextToAdd < total || inFlight.length > 0) {
        // Add a random batch, then complete a random subset of what is in flight.
        const add = Math.min(total - nextToAdd, Math.floor(rand() * 300));
        for (let i = 0; i < add; i++) {
          const o = (base + BigInt(nextToAdd++)).toString();
          t.add(o);
          inFlight.push(o);
        }
        const shuffled = shuffle(inFlight, rand);
        const n = nextToAdd >= total ? shuffled.length : Math.floor(rand() * shuffled.length);
        const done = new Set(shuffled.slice(0, n));
        for (const o of done) expect(t.complete(o, [msg(o)])).toBe(true);
        inFlight.splice(0, inFlight.length, ...inFlight.filter((o) => !done.has(o)));
        expect(t.inFlight).toBe(inFlight.length);
        commitSome();
      }
      while (t.peekCommittable()) commitSome();

      expect(committed.length, `seed ${seed}`).toBe(total);
      committed.forEach((o, i) => expect(o).toBe((base + BigInt(i)).toString()));
      expect(committedUpTo).toBe(base + BigInt(total));
      expect([t.size, t.inFlight, t.waiting, t.waitingBytes]).toEqual([0, 0, 0, 0]);
    }
  });

  it('still finds entries by offset after the queue was compacted', () => {
    const t = createPartitionTracker();
    // 3000 added, the first 2000 committed (compaction runs once head passes 1024).
    for (let i = 0; i < 3000; i++) t.add(String(i));
    for (let i = 0; i < 2000; i++) t.complete(String(i), [msg(String(i))]);
    t.markCommitted(t.peekCommittable()!.count);
    expect(t.size).toBe(1000);
    expect(t.complete('1999', [msg('late')])).toBe(false);
    expect(t.complete('2500', [msg('2500')])).toBe(true);
    expect(t.peekCommittable()).toBeUndefined();
    expect(t.complete('2000', [msg('2000')])).toBe(true);
    expect(t.peekCommittable()).toMatchObject({ count: 1, nextOffset: '2001' });
    for (let i = 2001; i < 3000; i++) if (i !== 2500) t.complete(String(i), [msg(String(i))]);
    const c = t.peekCommittable()!;
    expect(c.count).toBe(1000);
    expect(c.nextOffset).toBe('3000');
    expect(c.messages.map((m) => m.key)).toEqual(Array.from({ length: 1000 }, (_, i) => String(2000 + i)));
  });

  it('commits from the current head after compaction, with offsets beyond 2^53', () => {
    const t = createPartitionTracker();
    const base = 9_007_199_254_740_993n;
    for (let i = 0n; i < 2000n; i++) t.add((base + i).toString());
    for (let i = 0n; i < 1500n; i++) t.complete((base + i).toString(), []);
    t.markCommitted(1100);
    t.markCommitted(300);
    expect(t.peekCommittable()).toMatchObject({ count: 100, nextOffset: (base + 1500n).toString() });
  });
});
