/**
 * Offsets of one partition in arrival order, each in flight or done with the messages it
 * produced. Only the contiguous done prefix may be committed: a slow document holds back the
 * commit point, never the work behind it.
 */
import type { OutgoingMessage } from '../kafka/records.ts';
import type { DocumentTrace } from '../observability/tracing/document-trace.ts';

interface Entry {
  offset: string;
  done: boolean;
  messages: OutgoingMessage[];
  bytes: number;
  /** When it was read (epoch ms): the oldest uncommitted document's age starts there. */
  readAt: number;
  outcome: Outcome | undefined;
}

/** What a finished document became, for the latency of its commit. */
export interface Outcome {
  route: string;
  /** When the document first entered (its raw record's timestamp, epoch ms), when known. */
  enteredAt: number | undefined;
  /** Its attempt's trace, ended by the commit (tracing on). */
  trace?: DocumentTrace | undefined;
}

export interface Committable {
  messages: OutgoingMessage[];
  /** The offset to commit: one past the last finished offset of the prefix. */
  nextOffset: string;
  count: number;
  bytes: number;
}

export interface PartitionTracker {
  add(offset: string, readAt?: number): void;
  /** False when the offset is not tracked (its partition was reset meanwhile). */
  complete(offset: string, messages: OutgoingMessage[], outcome?: Outcome): boolean;
  /** The done prefix (at most maxCount entries), left in place until markCommitted. */
  peekCommittable(maxCount?: number): Committable | undefined;
  /** Removes the first `count` entries once their transaction committed; `each` is told each one's outcome. */
  markCommitted(count: number, each?: (outcome: Outcome) => void): void;
  /** When the oldest uncommitted document was read (epoch ms); undefined when none is. */
  oldestReadAt(): number | undefined;
  /** The highest offset added, to skip records KafkaJS delivers again after a restart. */
  highestAdded(): bigint | undefined;
  readonly inFlight: number;
  /** Done but behind a gap: held in memory until the gap fills. */
  readonly waiting: number;
  readonly waitingBytes: number;
  readonly size: number;
}

function messageBytes(messages: OutgoingMessage[]): number {
  let n = 0;
  for (const m of messages) n += (m.value?.length ?? 0) + 64;
  return n;
}

export function createPartitionTracker(): PartitionTracker {
  let queue: Entry[] = [];
  let head = 0;
  const byOffset = new Map<string, Entry>();
  let inFlight = 0;
  let waiting = 0;
  let waitingBytes = 0;
  let highest: bigint | undefined;

  return {
    add(offset, readAt = Date.now()) {
      const e: Entry = { offset, done: false, messages: [], bytes: 0, readAt, outcome: undefined };
      queue.push(e);
      byOffset.set(offset, e);
      inFlight++;
      highest = BigInt(offset);
    },
    complete(offset, messages, outcome) {
      const e = byOffset.get(offset);
      if (!e || e.done) return false;
      e.done = true;
      e.messages = messages;
      e.outcome = outcome;
      e.bytes = messageBytes(messages);
      inFlight--;
      waiting++;
      waitingBytes += e.bytes;
      return true;
    },
    peekCommittable(maxCount = Number.MAX_SAFE_INTEGER) {
      const messages: OutgoingMessage[] = [];
      let last: Entry | undefined;
      let count = 0;
      let bytes = 0;
      for (let i = head; i < queue.length && count < maxCount; i++) {
        const e = queue[i]!;
        if (!e.done) break;
        for (const m of e.messages) messages.push(m);
        bytes += e.bytes;
        last = e;
        count++;
      }
      if (!last) return undefined;
      return { messages, nextOffset: (BigInt(last.offset) + 1n).toString(), count, bytes };
    },
    markCommitted(count, each) {
      for (let i = 0; i < count && head < queue.length; i++) {
        const e = queue[head]!;
        if (each && e.outcome) each(e.outcome);
        byOffset.delete(e.offset);
        waiting--;
        waitingBytes -= e.bytes;
        head++;
      }
      // Compact now and then so the array does not grow without bound.
      if (head > 1024 && head * 2 > queue.length) {
        queue = queue.slice(head);
        head = 0;
      }
    },
    highestAdded: () => highest,
    oldestReadAt: () => (head < queue.length ? queue[head]!.readAt : undefined),
    get inFlight() {
      return inFlight;
    },
    get waiting() {
      return waiting;
    },
    get waitingBytes() {
      return waitingBytes;
    },
    get size() {
      return queue.length - head;
    },
  };
}
