/**
 * documents.shadow's producer: idempotent, outside the processor's transactions (like the cost
 * events), so a shadow record never joins, waits for or aborts a commit of the primary's
 * outputs. Unlike cost events it does not retry without end: a shadow record that cannot be
 * sent within its retries is lost (logged and counted), which the shadow's guarantees allow.
 */
import type { Producer } from 'kafkajs';
import type { KafkaClient } from '../../kafka/client.ts';
import { createBatchingSender, type BatchingSender } from '../../kafka/batching-sender.ts';
import type { OutgoingMessage } from '../../kafka/records.ts';

export interface ShadowWriter {
  start(): Promise<void>;
  send(message: OutgoingMessage): Promise<void>;
  stop(): Promise<void>;
}

export function createShadowWriter(kafka: KafkaClient): ShadowWriter {
  let producer: Producer | undefined;
  let sender: BatchingSender | undefined;
  return {
    async start() {
      producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 5, maxRetryTime: 10_000 } });
      await producer.connect();
      sender = createBatchingSender(producer);
    },
    async send(m) {
      if (!sender) throw new Error('the shadow writer is not started');
      await sender.send(m.topic, { key: m.key, value: m.value, headers: m.headers });
    },
    async stop() {
      await sender?.flush().catch(() => undefined);
      await producer?.disconnect();
    },
  };
}
