/**
 * Calls waiting for a slot, one first-in-first-out line per lane (a partition), served in turn:
 * a partition that queued a thousand calls does not make one that queued a single call wait
 * behind all of them. One FIFO for everyone would: its order is the order of arrival, and a
 * partition with a backlog arrives first.
 */
export interface FairQueue<T> {
  push(lane: string, item: T): void;
  /** The next item: the oldest of the lane whose turn it is; undefined when empty. */
  shift(): T | undefined;
  readonly size: number;
}

/** An array used as a queue without the O(n) cost of Array#shift. */
class Line<T> {
  private items: T[] = [];
  private head = 0;

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head]!;
    this.items[this.head++] = undefined as T;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  get length(): number {
    return this.items.length - this.head;
  }
}

export function createFairQueue<T>(): FairQueue<T> {
  const lines = new Map<string, Line<T>>();
  /** Lanes with something waiting, in the order of their turns. */
  const turns = new Line<string>();
  let size = 0;
  return {
    push(lane, item) {
      let line = lines.get(lane);
      if (!line) lines.set(lane, (line = new Line<T>()));
      if (line.length === 0) turns.push(lane);
      line.push(item);
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
