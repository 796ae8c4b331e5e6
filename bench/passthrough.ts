/**
 * The floor of the overhead scenario: a raw KafkaJS consume → produce passthrough of the same
 * messages on the same broker, batch by batch, with no processing at all.
 */
import type { KafkaClient } from '../src/kafka/client.ts';

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
