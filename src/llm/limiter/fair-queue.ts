/**
 * Calls waiting for a slot, one line per lane (a partition), the lanes served in turn: a
 * partition that queued a thousand calls does not make one that queued a single call wait
 * behind all of them, as one first-come-first-served line would.
 *
 * Within a lane the call of the oldest document goes first (the lowest `order`, its offset;
 * first come, first served among equals). A document's second and third calls then overtake the
 * first calls of documents read after it, so documents finish in about the order they arrived:
 * the partition's commit point moves on instead of waiting behind a document whose later calls
 * queued behind sixty newer ones (seconds to minutes of head-of-line wait with slow calls), and
 * the finished work held in memory behind it stays small. The pool does the same work either way.
 */
export interface FairQueue<T> {
  push(lane: string, item: T, order?: number): void;
  /** The next item: the oldest document's of the lane whose turn it is; undefined when empty. */
  shift(): T | undefined;
  readonly size: number;
}

interface Entry<T> {
  item: T;
  order: number;
  seq: number;
}

const before = <T>(a: Entry<T>, b: Entry<T>) => a.order < b.order || (a.order === b.order && a.seq < b.seq);

/** A binary min-heap of one lane's calls. */
class Line<T> {
  private heap: Entry<T>[] = [];

  push(e: Entry<T>): void {
    const h = this.heap;
    h.push(e);
    for (let i = h.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  shift(): T | undefined {
    const h = this.heap;
    const top = h[0];
    if (!top) return undefined;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top.item;
  }

  get length(): number {
    return this.heap.length;
  }
}

/** Lanes with something waiting, in the order of their turns (an array used as a queue). */
class Turns {
  private lanes: string[] = [];
  private head = 0;

  push(lane: string): void {
    this.lanes.push(lane);
  }

  shift(): string | undefined {
    if (this.head >= this.lanes.length) return undefined;
    const lane = this.lanes[this.head++]!;
    if (this.head > 1024 && this.head * 2 > this.lanes.length) {
      this.lanes = this.lanes.slice(this.head);
      this.head = 0;
    }
    return lane;
  }
}

/** A caller waiting for its call's outcome. */
export interface Waiter {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Hands the call's outcome to its caller once `free` has given its place back, so the next call starts first. */
export function settleAfter(call: Promise<unknown>, free: () => void, caller: Waiter): void {
  call.then(
    (v) => {
      free();
      caller.resolve(v);
    },
    (e: unknown) => {
      free();
      caller.reject(e);
    },
  );
}

export function createFairQueue<T>(): FairQueue<T> {
  const lines = new Map<string, Line<T>>();
  const turns = new Turns();
  let size = 0;
  let seq = 0;
  return {
    push(lane, item, order = Number.MAX_SAFE_INTEGER) {
      let line = lines.get(lane);
      if (!line) lines.set(lane, (line = new Line<T>()));
      if (line.length === 0) turns.push(lane);
      line.push({ item, order, seq: seq++ });
      size++;
    },
    shift() {
      const lane = turns.shift();
      if (lane === undefined) return undefined;
      const line = lines.get(lane)!;
      const item = line.shift()!;
      size--;
      if (line.length > 0) turns.push(lane);
      else lines.delete(lane);
      return item;
    },
    get size() {
      return size;
    },
  };
}
