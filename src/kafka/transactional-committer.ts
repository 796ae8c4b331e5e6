/**
 * Exactly-once output: a partition's finished outputs and its consumed offset are committed in
 * one Kafka transaction. Each input partition has its own transactional producer whose id is
 * derived from the group, topic and partition, so the id survives restarts and rebalances and
 * whoever takes a partition over fences the previous owner (a zombie's commit then fails
 * instead of duplicating output). KafkaJS allows one transaction at a time per producer; one
 * producer per partition lets partitions commit side by side.
 */
import type { Producer } from 'kafkajs';
import type { Logger } from '../observability/logger.ts';
import type { OutgoingMessage } from './records.ts';
import type { KafkaClient } from './client.ts';

export interface Committer {
  /** Fences any previous owner of the partition; call before trusting its committed offset. */
  prepare(topic: string, partition: number): Promise<void>;
  commit(topic: string, partition: number, messages: OutgoingMessage[], nextOffset: string): Promise<void>;
  release(topic: string, partition: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A transaction begun right after the previous one committed is refused (CONCURRENT_TRANSACTIONS)
 * until the broker has written the previous one's markers, a few ms. KafkaJS retries it with the
 * client's backoff, 300 ms at first: with commits as soon as a document is done (FLUSH_INTERVAL
 * 0), that was the p99 of the added latency. The Java client retries this after 20 ms; so do
 * these producers, with more retries, so that a broker outage is waited out as long as before
 * (about 40 s in all) before the commit path takes over.
 */
const TRANSACTION_RETRY = { initialRetryTime: 20, retries: 12, maxRetryTime: 10_000 };

export function transactionalId(groupId: string, topic: string, partition: number): string {
  return `${groupId}.tx.${topic}.${partition}`;
}

function groupByTopic(messages: OutgoingMessage[]) {
  const byTopic = new Map<string, { key: Buffer | string | null; value: Buffer | null; headers: OutgoingMessage['headers'] }[]>();
  for (const m of messages) {
    let list = byTopic.get(m.topic);
    if (!list) byTopic.set(m.topic, (list = []));
    list.push({ key: m.key, value: m.value, headers: m.headers });
  }
  return [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs }));
}

export function createTransactionalCommitter(deps: {
  kafka: KafkaClient;
  groupId: string;
  logger: Logger;
  transactionTimeoutMs?: number;
}): Committer {
  const producers = new Map<string, Promise<Producer>>();
  const key = (t: string, p: number) => `${t}:${p}`;

  function producerFor(topic: string, partition: number): Promise<Producer> {
    const k = key(topic, partition);
    let p = producers.get(k);
    if (!p) {
      p = (async () => {
        const producer = deps.kafka.producer({
          transactionalId: transactionalId(deps.groupId, topic, partition),
          idempotent: true,
          maxInFlightRequests: 1,
          transactionTimeout: deps.transactionTimeoutMs ?? 60_000,
          retry: TRANSACTION_RETRY,
        });
        await producer.connect();
        return producer;
      })();
      producers.set(k, p);
      // A failed connect must not be cached.
      p.catch(() => producers.delete(k));
    }
    return p;
  }

  /**
   * Disconnects the partition's producer. With `only`, just that producer: a commit failing
   * late must not take down the producer a new owner state made meanwhile.
   */
  async function drop(topic: string, partition: number, only?: Promise<Producer>): Promise<void> {
    const k = key(topic, partition);
    const p = only ?? producers.get(k);
    if (producers.get(k) === p) producers.delete(k);
    if (p) await p.then((pr) => pr.disconnect()).catch(() => undefined);
  }

  return {
    async prepare(topic, partition) {
      // Always a new producer: connecting runs InitProducerId for this id, which bumps the epoch
      // (fencing the previous owner, or our own earlier producer) and waits for its open
      // transaction to end. A producer already initialised would skip that.
      await drop(topic, partition);
      const current = producerFor(topic, partition);
      try {
        const tx = await (await current).transaction();
        await tx.abort();
      } catch (e) {
        await drop(topic, partition, current);
        throw e;
      }
    },
    async commit(topic, partition, messages, nextOffset) {
      // Only prepare() makes a partition's producer. A commit that made one itself would fence
      // whoever owns the partition now, then commit on the strength of an offset read before
      // that fence: a partition released meanwhile (revoked, handed over) must not commit.
      const current = producers.get(key(topic, partition));
      if (!current) throw new Error(`no transactional producer for ${topic}[${partition}]: the partition was released, or not prepared`);
      try {
        const tx = await (await current).transaction();
        if (messages.length) await tx.sendBatch({ topicMessages: groupByTopic(messages), acks: -1 });
        await tx.sendOffsets({ consumerGroupId: deps.groupId, topics: [{ topic, partitions: [{ partition, offset: nextOffset }] }] });
        await tx.commit();
      } catch (e) {
        // No abort of our own: the transaction is left open for the fence that comes before our
        // next commit on this partition (prepare: InitProducerId), or for the new owner's, or
        // for its timeout. The coordinator then aborts it, markers and all. An EndTxn of ours
        // could reach a broker in controlled shutdown whose partitions have just lost their
        // leader: it completes the abort without markers on them (it skips a leaderless partition
        // as if deleted), our records stay open there, and this producer id's next COMMIT marker
        // on that partition committed them (a document twice, found in a broker-restart test).
        // A fenced or broken producer cannot be reused: the next use makes a new one.
        await drop(topic, partition, current);
        throw e;
      }
    },
    release: (topic, partition) => drop(topic, partition),
    async close() {
      await Promise.allSettled([...producers.keys()].map((k) => {
        const [t, p] = [k.slice(0, k.lastIndexOf(':')), Number(k.slice(k.lastIndexOf(':') + 1))];
        return drop(t, p);
      }));
    },
  };
}
