/**
 * Cost events are produced outside the output transactions, with the idempotent producer, as
 * soon as a call returns: a call whose document's transaction later aborts was still paid
 * for and must still be counted. The aggregator dedupes by call id, so a re-sent event is
 * never counted twice.
 */
import type { CostSink } from '../llm/chain/call-step.ts';
import { Headers, type CostEvent } from '../contracts/index.ts';
import { createBatchingSender, type BatchingSender } from '../kafka/batching-sender.ts';
import { plainJson, type ValueEncoder } from '../kafka/serde.ts';
import type { KafkaClient } from '../kafka/client.ts';
import type { Producer } from 'kafkajs';

export interface CostEventProducer extends CostSink {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createCostEventProducer(deps: { kafka: KafkaClient; topic: string; onEmitted?: (e: CostEvent) => void; encode?: ValueEncoder }): CostEventProducer {
  const encode = deps.encode ?? plainJson;
  let producer: Producer | undefined;
  let sender: BatchingSender | undefined;
  return {
    async start() {
      // Retries without limit: a billed call's event must reach Kafka, so during a broker outage
      // the step waits here (its document stays uncommitted) rather than dropping the event.
      producer = deps.kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 10_000 } });
      await producer.connect();
      sender = createBatchingSender(producer);
    },
    async emit(event) {
      if (!sender) throw new Error('cost event producer is not started');
      deps.onEmitted?.(event);
      const headers: Record<string, string> = {};
      if (event.run_id) headers[Headers.runId] = event.run_id;
      await sender.send(deps.topic, { key: event.call_id, value: encode(deps.topic, event), headers });
    },
    async stop() {
      await sender?.flush();
      await producer?.disconnect();
    },
  };
}
