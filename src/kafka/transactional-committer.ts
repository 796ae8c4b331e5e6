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
import type { OutgoingMessage } from '../producers/messages.ts';
import type { KafkaClient } from './client.ts';

export interface Committer {
  /** Fences any previous owner of the partition; call before trusting its committed offset. */
  prepare(topic: string, partition: number): Promise<void>;
  commit(topic: string, partition: number, messages: OutgoingMessage[], nextOffset: string): Promise<void>;
  release(topic: string, partition: number): Promise<void>;
  close(): Promise<void>;
}

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

  async function drop(topic: string, partition: number): Promise<void> {
    const k = key(topic, partition);
    const p = producers.get(k);
    producers.delete(k);
    if (p) await p.then((pr) => pr.disconnect()).catch(() => undefined);
  }

  return {
    async prepare(topic, partition) {
      const producer = await producerFor(topic, partition);
      // Beginning and aborting an empty transaction runs InitProducerId for this id: it bumps
      // the epoch (fencing the previous owner) and waits for its open transaction to end.
      const tx = await producer.transaction();
      await tx.abort();
    },
    async commit(topic, partition, messages, nextOffset) {
      const producer = await producerFor(topic, partition);
      const tx = await producer.transaction();
      try {
        if (messages.length) await tx.sendBatch({ topicMessages: groupByTopic(messages), acks: -1 });
        await tx.sendOffsets({ consumerGroupId: deps.groupId, topics: [{ topic, partitions: [{ partition, offset: nextOffset }] }] });
        await tx.commit();
      } catch (e) {
        await tx.abort().catch(() => undefined);
        // A fenced or broken producer cannot be reused: the next use makes a new one.
        await drop(topic, partition);
        throw e;
      }
    },
    release: drop,
    async close() {
      await Promise.allSettled([...producers.keys()].map((k) => {
        const [t, p] = [k.slice(0, k.lastIndexOf(':')), Number(k.slice(k.lastIndexOf(':') + 1))];
        return drop(t, p);
      }));
    },
  };
}
