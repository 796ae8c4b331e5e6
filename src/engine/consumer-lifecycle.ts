/**
 * The KafkaJS consumer of one engine: made, subscribed and run; restarted after a crash KafkaJS
 * does not recover from itself; paused and resumed as a whole by the intake switch. Its group
 * events feed the partition ownership (assignments) and the broker watchdog (contact).
 */
import type { Consumer, EachBatchPayload } from 'kafkajs';
import type { KafkaClient } from '../kafka/client.ts';
import type { Logger } from '../observability/logger.ts';
import type { BrokerWatchdog } from './broker-watchdog.ts';

export interface ConsumerLifecycle {
  start(): Promise<void>;
  pause(): void;
  resume(): void;
  seek(topic: string, partition: number, offset: string): void;
  /** Waits for the batch being processed to end, leaves the group and disconnects. */
  disconnect(): Promise<void>;
}

export function createConsumerLifecycle(deps: {
  kafka: KafkaClient;
  groupId: string;
  topics: string[];
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  eachBatch: (payload: EachBatchPayload) => Promise<void>;
  onAssignment: (assignment: Record<string, number[]>) => void;
  /** Whether intake is paused right now: a consumer (re)started then starts paused. */
  intakePaused: () => boolean;
  watchdog: BrokerWatchdog;
  isStopping: () => boolean;
  log: Logger;
  restartDelayMs?: number;
}): ConsumerLifecycle {
  const { log, watchdog } = deps;
  let consumer: Consumer | undefined;
  const allTopics = () => deps.topics.map((topic) => ({ topic }));

  async function startConsumer(): Promise<void> {
    const c = deps.kafka.consumer({
      groupId: deps.groupId,
      readUncommitted: false,
      sessionTimeout: deps.sessionTimeoutMs,
      heartbeatInterval: deps.heartbeatIntervalMs,
      rebalanceTimeout: 60_000,
      maxWaitTimeInMs: 250,
    });
    consumer = c;
    c.on(c.events.GROUP_JOIN, (e) => {
      watchdog.contact();
      log.info({ assignment: e.payload.memberAssignment }, 'joined group');
      deps.onAssignment(e.payload.memberAssignment);
    });
    // Any answer from the cluster counts as contact, so an idle or paused consumer is not
    // mistaken for one that lost the broker.
    c.on(c.events.HEARTBEAT, () => watchdog.contact());
    c.on(c.events.FETCH, () => watchdog.contact());
    c.on(c.events.CRASH, (e) => {
      const err = e.payload.error;
      log.error({ err: err.message, restart: e.payload.restart }, 'consumer crashed');
      watchdog.check(err);
      // KafkaJS restarts itself after retriable errors; after others we start a new consumer,
      // until the give-up time says the cluster is gone for good.
      if (!e.payload.restart && !deps.isStopping() && !watchdog.fatal && consumer === c) {
        setTimeout(() => {
          if (deps.isStopping() || watchdog.fatal || consumer !== c) return;
          void c.disconnect().catch(() => undefined).then(() => startConsumer()).catch((err2: Error) => {
            log.error({ err: err2.message }, 'consumer restart failed; trying again');
            watchdog.check(err2);
          });
        }, deps.restartDelayMs ?? 2_000);
      }
    });
    await c.connect();
    for (const topic of deps.topics) await c.subscribe({ topic, fromBeginning: true });
    if (deps.intakePaused()) c.pause(allTopics());
    await c.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 16, eachBatch: deps.eachBatch });
  }

  return {
    start: startConsumer,
    pause: () => consumer?.pause(allTopics()),
    resume: () => consumer?.resume(allTopics()),
    seek(topic, partition, offset) {
      consumer?.seek({ topic, partition, offset });
    },
    async disconnect() {
      await consumer?.disconnect().catch(() => undefined);
    },
  };
}
