/**
 * pipeline.alerts: where a processor says that it stopped itself (a DLQ storm), for people and
 * alerting to pick up, and where the operator's `enricher resume` reaches every running
 * processor at once. Not llm.budget-alerts: that topic's records are the aggregator's, one per
 * day and budget level, and its readers expect only those.
 *
 * A processor follows only what is written after it started: an old `resume` must not clear a
 * storm that a later run raises.
 */
import { hostname } from 'node:os';
import type { Producer } from 'kafkajs';
import { PipelineAlert } from '../contracts/index.ts';
import type { KafkaClient } from '../kafka/client.ts';
import { decodeJson, plainJson, type ValueEncoder } from '../kafka/serde.ts';
import { createTopicFollower, readerGroupId, topicOffsets, type TopicFollower } from '../kafka/topic-reader.ts';
import type { Logger } from '../observability/logger.ts';

export interface AlertChannel {
  raise(alert: PipelineAlert): Promise<void>;
  /** Called for each `resume` written after start(). */
  onResume(listener: (alert: PipelineAlert) => void): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

async function send(producer: Producer, topic: string, key: string, alert: PipelineAlert, encode: ValueEncoder): Promise<void> {
  await producer.send({ topic, acks: -1, messages: [{ key, value: encode(topic, PipelineAlert.parse(alert)) }] });
}

export function createAlertChannel(deps: { kafka: KafkaClient; topic: string; groupBase: string; instanceId: string; logger: Logger; encode?: ValueEncoder }): AlertChannel {
  const listeners: ((a: PipelineAlert) => void)[] = [];
  let producer: Producer | undefined;
  let follower: TopicFollower | undefined;
  return {
    async raise(alert) {
      if (!producer) throw new Error('the alert channel is not started');
      await send(producer, deps.topic, `${alert.kind}|${deps.instanceId}`, alert, deps.encode ?? plainJson);
    },
    onResume: (l) => void listeners.push(l),
    async start() {
      producer = deps.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const from = new Map((await topicOffsets(deps.kafka, deps.topic)).map((o) => [o.partition, BigInt(o.high)]));
      follower = createTopicFollower({
        kafka: deps.kafka, topic: deps.topic, groupId: readerGroupId(`${deps.groupBase}.alerts`, deps.instanceId), logger: deps.logger, from, deleteGroupOnStop: true,
        onRecord: (r) => {
          try {
            const alert = decodeJson(r.value, PipelineAlert, 'decode', 'pipeline alert');
            if (alert.kind === 'resume') for (const l of listeners) l(alert);
          } catch (e) {
            deps.logger.warn({ topic: deps.topic, offset: r.offset, err: (e as Error).message }, 'ignoring an unreadable pipeline alert');
          }
        },
      });
      await follower.start(15_000);
    },
    async stop() {
      await follower?.stop();
      await producer?.disconnect().catch(() => undefined);
    },
  };
}

/** `enricher resume`: the operator's answer to a DLQ storm, for every processor that follows pipeline.alerts. */
export async function sendResume(kafka: KafkaClient, topic: string, message: string, encode: ValueEncoder = plainJson): Promise<PipelineAlert> {
  const alert: PipelineAlert = { kind: 'resume', source: `enricher-cli@${hostname()}`, raised_at: new Date().toISOString(), message };
  const producer = kafka.producer();
  await producer.connect();
  try {
    await send(producer, topic, 'resume', alert, encode);
  } finally {
    await producer.disconnect();
  }
  return alert;
}
