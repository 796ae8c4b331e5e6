/**
 * A stand-in for the transactional committer and the group's committed offsets, for unit tests
 * of the engine's commit path without a broker. It keeps what a broker would: the committed
 * offset of each partition and the outputs of every transaction that went through. A test
 * scripts how the next commits fail: before the transaction applies (it did not go through),
 * after it applied (it did, but the answer was lost), and what another owner did meanwhile.
 * Kafka's own behaviour is tested against the real broker (test/integration/commit-failures).
 */
import type { Committer } from '../../src/kafka/transactional-committer.ts';
import type { OutgoingMessage } from '../../src/kafka/records.ts';

export interface ScriptedFault {
  error: Error;
  /** True: the transaction went through before the error was reported. */
  applied: boolean;
  /** Runs before the outcome: e.g. another owner committing the partition. */
  meanwhile?: () => void;
}

export interface FakeCommitter extends Committer {
  /** The group's committed offset of a partition (-1 when none), as admin.fetchOffsets reports it. */
  committedOffset(topic: string, partition: number): Promise<bigint>;
  /** Sets a partition's committed offset, as another owner's commit would. */
  setCommitted(topic: string, partition: number, offset: bigint): void;
  /** The next commits fail in this order. */
  faults: ScriptedFault[];
  /** While set, a commit waits for it before it applies. */
  gate: Promise<void> | undefined;
  /** The keys of every output of every transaction that went through, in order. */
  readonly outputs: string[];
  readonly calls: { prepare: number; commit: number; release: number; close: number };
  /** Every commit attempt, applied or not, with its range end. */
  readonly attempts: { topic: string; partition: number; nextOffset: string; keys: string[] }[];
}

export const timeoutError = () => Object.assign(new Error('Request commit timed out (injected)'), { name: 'KafkaJSRequestTimeoutError' });
export const fencedError = () => Object.assign(new Error('There is a newer producer with the same transactionalId which fences the current one'), { type: 'PRODUCER_FENCED' });

export function createFakeCommitter(): FakeCommitter {
  const offsets = new Map<string, bigint>();
  const key = (t: string, p: number) => `${t}:${p}`;
  const outputs: string[] = [];
  const calls = { prepare: 0, commit: 0, release: 0, close: 0 };
  const attempts: FakeCommitter['attempts'] = [];
  const keys = (messages: OutgoingMessage[]) => messages.map((m) => String(m.key));
  const fake: FakeCommitter = {
    faults: [],
    gate: undefined,
    outputs,
    calls,
    attempts,
    async committedOffset(topic, partition) {
      return offsets.get(key(topic, partition)) ?? -1n;
    },
    setCommitted(topic, partition, offset) {
      offsets.set(key(topic, partition), offset);
    },
    async prepare() {
      calls.prepare++;
    },
    async commit(topic, partition, messages, nextOffset) {
      calls.commit++;
      attempts.push({ topic, partition, nextOffset, keys: keys(messages) });
      if (fake.gate) await fake.gate;
      const fault = fake.faults.shift();
      fault?.meanwhile?.();
      if (!fault || fault.applied) {
        offsets.set(key(topic, partition), BigInt(nextOffset));
        outputs.push(...keys(messages));
      }
      if (fault) throw fault.error;
    },
    async release() {
      calls.release++;
    },
    async close() {
      calls.close++;
    },
  };
  return fake;
}
