/**
 * The floor of the overhead scenario: a raw KafkaJS consume → produce passthrough of the same
 * messages on the same broker, batch by batch, with no processing at all.
 */
import type { KafkaClient } from '../src/kafka/client.ts';
import { ensureTopics } from '../src/kafka/topics.ts';
import { throughput, watchOutputs } from './lib.ts';

export async function runPassthrough(kafka: KafkaClient, from: string, to: string, groupId: string): Promise<{ stop(): Promise<void> }> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topic: from, fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: 3,
    eachBatch: async ({ batch }) => {
      await producer.send({ topic: to, acks: -1, messages: batch.messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })) });
    },
  });
  return {
    async stop() {
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}

/** The passthrough's msgs/s over the n messages of `from` (3 partitions), on a topic of its own that is deleted after. */
export async function measurePassthrough(kafka: KafkaClient, from: string, groupId: string, n: number, partitions: number): Promise<number> {
  const to = `${from}.passthrough`;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, [{ topic: to, numPartitions: partitions, replicationFactor: 1 }]);
    const w = await watchOutputs(kafka, [to]);
    const pass = await runPassthrough(kafka, from, to, groupId);
    await w.waitFor(n, 600_000);
    const { docsPerSec } = throughput(w.seen);
    await pass.stop();
    await w.stop();
    return docsPerSec;
  } finally {
    await admin.deleteTopics({ topics: [to] }).catch(() => undefined);
    await admin.disconnect();
  }
}
