/**
 * A KafkaJS consumer that keeps running: made, subscribed and run; restarted after a crash
 * KafkaJS does not recover from itself, again and again with a growing delay until the broker
 * watchdog gives up; paused and resumed as a whole (by the engine's intake switch). Its group
 * events feed the owner's assignments (the engine's partition ownership, a topic follower's
 * starting offsets) and the broker watchdog (contact). Used by the partition engine, the topic
 * followers (kafka/topic-reader.ts) and the cost aggregator.
 *
 * Whether intake is paused is kept here, not in KafkaJS: a KafkaJS consumer only has a pause
 * list while it runs (pause() before run(), or between a crash and its restart, throws "Consumer
 * group was not initialized"), and each restart begins with an empty list. So pause and resume
 * only record what is wanted, and it is applied whenever a consumer runs: right after run() and
 * on every group join, which comes before the first fetch of each (re)start.
 */
import type { Consumer, ConsumerConfig, EachBatchPayload } from 'kafkajs';
import type { Logger } from '../observability/logger.ts';
import type { BrokerWatchdog } from './broker-watchdog.ts';

export interface ConsumerLifecycle {
  start(): Promise<void>;
  /** Never throws: recorded, and applied to the consumer whenever it runs. */
  pause(): void;
  resume(): void;
  seek(topic: string, partition: number, offset: string): void;
  /** Waits for the batch being processed to end, leaves the group and disconnects; no restart after it. */
  disconnect(): Promise<void>;
}

/** The wait before restart attempt n (0-based): doubling from the first, capped, with jitter so that instances do not restart in step. */
export function restartDelay(attempt: number, firstMs: number, maxMs: number, random: () => number = Math.random): number {
  const base = Math.min(maxMs, firstMs * 2 ** Math.min(attempt, 20));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** The KafkaJS consumer surface the lifecycle uses. */
export type LifecycleConsumer = Pick<Consumer, 'connect' | 'subscribe' | 'run' | 'pause' | 'resume' | 'seek' | 'disconnect' | 'on' | 'events'>;

export function createConsumerLifecycle(deps: {
  kafka: { consumer(config: ConsumerConfig): LifecycleConsumer };
  groupId: string;
  topics: string[];
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** KafkaJS's wait for a fetch to fill (default 250 ms). */
  maxWaitTimeInMs?: number;
  /** Partitions handled at once (default 16: the engine runs each in its own lanes). */
  partitionsConsumedConcurrently?: number;
  eachBatch: (payload: EachBatchPayload) => Promise<void>;
  /** On every group join, before the first fetch: seeks made here apply to it. */
  onAssignment: (assignment: Record<string, number[]>) => void;
  /** Told of each consumer made (the first and every restart), to listen to more of its events. */
  onConsumer?: (consumer: LifecycleConsumer) => void;
  /** Whether intake is paused right now: read once at start; pause() and resume() follow it. */
  intakePaused?: () => boolean;
  watchdog: BrokerWatchdog;
  isStopping: () => boolean;
  log: Logger;
  /** The first restart's delay (doubling up to restartMaxDelayMs). */
  restartDelayMs?: number;
  restartMaxDelayMs?: number;
}): ConsumerLifecycle {
  const { log, watchdog } = deps;
  const firstDelay = deps.restartDelayMs ?? 2_000;
  const maxDelay = deps.restartMaxDelayMs ?? 30_000;
  let consumer: LifecycleConsumer | undefined;
  let wantPaused = false;
  let restartTimer: NodeJS.Timeout | undefined;
  let failedRestarts = 0;
  let disconnected = false;
  const allTopics = () => deps.topics.map((topic) => ({ topic }));
  const gaveUp = () => disconnected || deps.isStopping() || watchdog.fatal;

  /** Applies the wanted pause state to a consumer; one that is not running gets it when it runs. */
  function apply(c: LifecycleConsumer): void {
    try {
      if (wantPaused) c.pause(allTopics());
      else c.resume(allTopics());
    } catch (e) {
      log.debug({ paused: wantPaused, err: (e as Error).message }, 'consumer not running: intake state applied when it runs');
    }
  }

  function scheduleRestart(): void {
    if (restartTimer || gaveUp()) return;
    const delayMs = restartDelay(failedRestarts, firstDelay, maxDelay);
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      void restart();
    }, delayMs);
    restartTimer.unref?.();
  }

  async function restart(): Promise<void> {
    if (gaveUp()) return;
    const old = consumer;
    consumer = undefined;
    await old?.disconnect().catch(() => undefined);
    try {
      await startConsumer();
      failedRestarts = 0;
      log.info('consumer restarted');
    } catch (e) {
      failedRestarts++;
      const err = e as Error;
      log.error({ err: err.message, failedRestarts }, 'consumer restart failed; trying again');
      watchdog.check(err);
      scheduleRestart();
    }
  }

  async function startConsumer(): Promise<void> {
    const c = deps.kafka.consumer({
      groupId: deps.groupId,
      readUncommitted: false,
      sessionTimeout: deps.sessionTimeoutMs,
      heartbeatInterval: deps.heartbeatIntervalMs,
      rebalanceTimeout: 60_000,
      maxWaitTimeInMs: deps.maxWaitTimeInMs ?? 250,
    });
    consumer = c;
    deps.onConsumer?.(c);
    c.on(c.events.GROUP_JOIN, (e) => {
      watchdog.contact();
      apply(c); // a KafkaJS restart begins with an empty pause list
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
      // until the watchdog says the cluster is gone for good.
      if (!e.payload.restart && consumer === c) scheduleRestart();
    });
    try {
      await c.connect();
      watchdog.contact();
      for (const topic of deps.topics) await c.subscribe({ topic, fromBeginning: true });
      if (gaveUp()) throw new Error('stopping');
      const running = c.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: deps.partitionsConsumedConcurrently ?? 16, eachBatch: deps.eachBatch });
      apply(c); // run() makes the consumer's group before its first await: the pause list exists now
      await running;
    } catch (e) {
      // A consumer half made must not linger connected next to the one the next attempt makes.
      if (consumer === c) consumer = undefined;
      await c.disconnect().catch(() => undefined);
      throw e;
    }
  }

  return {
    async start() {
      wantPaused = deps.intakePaused?.() ?? false;
      await startConsumer();
    },
    pause() {
      wantPaused = true;
      if (consumer) apply(consumer);
    },
    resume() {
      wantPaused = false;
      if (consumer) apply(consumer);
    },
    seek(topic, partition, offset) {
      try {
        consumer?.seek({ topic, partition, offset });
      } catch (e) {
        // Not running: its next start reads the committed offset, which is where we would seek.
        log.debug({ topic, partition, offset, err: (e as Error).message }, 'seek skipped: consumer not running');
      }
    },
    async disconnect() {
      disconnected = true;
      if (restartTimer) clearTimeout(restartTimer);
      restartTimer = undefined;
      await consumer?.disconnect().catch(() => undefined);
    },
  };
}
