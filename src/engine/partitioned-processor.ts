/**
 * The consume → process → commit engine shared by the raw and retry consumers, assembled from
 * its parts:
 * - kafka/consumer-lifecycle.ts: the KafkaJS consumer, restarted after a crash;
 * - kafka/broker-watchdog.ts: gives up when the cluster stays silent for too long;
 * - partition-ownership.ts: the partitions we own, fenced when received, dropped when lost;
 * - dispatch.ts: many documents of a partition in flight at once (bounded by Capacity, in
 *   order per key), a service error waited out rather than routed;
 * - retry-pause.ts: a retry partition paused until its next record is due;
 * - commit-path.ts: the contiguous finished prefix, outputs and offset in one transaction, on
 *   a flush timer or when enough is finished, and the settling of a commit of unknown outcome.
 */
import type { Admin, KafkaMessage } from 'kafkajs';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { KafkaClient } from '../kafka/client.ts';
import type { Committer } from '../kafka/transactional-committer.ts';
import type { SourceRecord } from '../kafka/records.ts';
import type { EnricherError } from '../errors.ts';
import type { HandleResult, Route } from '../pipeline/document-handler.ts';
import { ALL_REASONS, type IntakeControl, type PauseReason } from '../guards/intake-control.ts';
import { createBrokerWatchdog } from '../kafka/broker-watchdog.ts';
import { groupLag } from '../kafka/group-lag.ts';
import { createCapacity } from './capacity.ts';
import { createCommitPath } from './commit-path.ts';
import { createConsumerLifecycle } from '../kafka/consumer-lifecycle.ts';
import { createDispatch } from './dispatch.ts';
import { createKeyLanes } from './key-lanes.ts';
import { committedOffsetReader, createPartitionOwnership } from './partition-ownership.ts';
import { sleep } from '../util/sleep.ts';

export interface ProcessorOptions {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** How long the broker may be unreachable before the process gives up (onFatal). */
  giveUpAfterMs: number;
  maxInFlight: number;
  maxPendingBytes: number;
  flushIntervalMs: number;
  flushMaxMessages: number;
  shutdownTimeoutMs: number;
}

export interface PartitionedProcessorDeps {
  name: string;
  kafka: KafkaClient;
  groupId: string;
  topics: string[];
  /** `abandoned` turns true when the record's partition state is dropped (revoked, fenced). */
  handle: (record: SourceRecord, abandoned: () => boolean) => Promise<HandleResult>;
  /** Resolves when the service is healthy again after an error that is not the document's fault. */
  waitOutServiceError: (error: EnricherError, documentId: string) => Promise<void>;
  /** Owned by the processor from here on: stop() closes it. */
  committer: Committer;
  intake: IntakeControl;
  /** The pause reasons that stop this consumer's intake (the retry consumer ignores outages). */
  pauseOn?: readonly PauseReason[];
  options: ProcessorOptions;
  logger: Logger;
  metrics: Metrics;
  /** For retry topics: when a record is due (epoch ms); undefined when it is due now. */
  dueAt?: (message: KafkaMessage) => number | undefined;
  onRouted?: (route: Route, documentId: string | undefined) => void;
  /** Called once when the broker stayed unreachable for longer than giveUpAfterMs. */
  onFatal?: (error: Error) => void;
}

export interface PartitionedProcessor {
  start(): Promise<void>;
  /** Finishes what is in flight (within the shutdown timeout), commits it and closes every client. */
  stop(): Promise<void>;
  stats(): { inFlight: number; waiting: number; committed: number; partitions: number; routes: Record<Route, number> };
  /** Commits whatever is finished now (tests and shutdown). */
  flush(): Promise<void>;
}

export function createPartitionedProcessor(deps: PartitionedProcessorDeps): PartitionedProcessor {
  const { logger, metrics, options, committer, intake } = deps;
  const pauseOn = deps.pauseOn ?? ALL_REASONS;
  const eager = options.flushIntervalMs === 0;
  const log = logger.child({ consumer: deps.name });
  let admin: Admin | undefined;
  let flushTimer: NodeJS.Timeout | undefined;
  let stopping = false;
  let unsubscribeIntake: (() => void) | undefined;
  let removeLiveSources: (() => void) | undefined;
  const isStopping = () => stopping;

  const watchdog = createBrokerWatchdog({ giveUpAfterMs: options.giveUpAfterMs, isStopping, onFatal: deps.onFatal, log });
  const committedOffset = committedOffsetReader(() => admin!, deps.groupId);
  const partitions = createPartitionOwnership({
    committer, committedOffset, isStopping, log,
    seek: (topic, partition, offset) => consumer.seek(topic, partition, offset),
  });
  const commits = createCommitPath({
    committer, committedOffset, partitions, eager, flushMaxMessages: options.flushMaxMessages, watchdog, log, metrics,
  });
  const capacity = createCapacity({
    maxInFlight: options.maxInFlight,
    maxPendingBytes: options.maxPendingBytes,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    pendingBytes: () => {
      let n = 0;
      for (const s of partitions.all()) n += s.tracker.waitingBytes;
      return n;
    },
  });
  const dispatch = createDispatch({
    handle: deps.handle, waitOutServiceError: deps.waitOutServiceError, dueAt: deps.dueAt, onRouted: deps.onRouted,
    partitions, commits, capacity, intake, pauseOn, isStopping, log, metrics,
    lanes: createKeyLanes((e) => log.error({ err: e }, 'unexpected error in a processing task')),
    onBrokerContact: () => watchdog.contact(),
    heartbeatIntervalMs: options.heartbeatIntervalMs,
  });
  const consumer = createConsumerLifecycle({
    kafka: deps.kafka, groupId: deps.groupId, topics: deps.topics,
    sessionTimeoutMs: options.sessionTimeoutMs, heartbeatIntervalMs: options.heartbeatIntervalMs,
    eachBatch: dispatch.eachBatch,
    onAssignment: (assignment) => partitions.onAssignment(assignment),
    intakePaused: () => intake.isPaused(pauseOn),
    watchdog, isStopping, log,
  });

  /** The lag of the partitions the group gave us (read or paused) and our oldest uncommitted document, for /metrics. */
  function registerLiveSources(): () => void {
    const removeLag = metrics.live.addLag(async () => {
      const lists = await Promise.all(Object.entries(partitions.assignment()).map(([topic, parts]) => groupLag(admin!, deps.groupId, topic, parts)));
      return lists.flat();
    });
    const removeOldest = metrics.live.addOldestUncommitted(() => {
      let oldest: number | undefined;
      for (const s of partitions.all()) {
        const at = s.tracker.oldestReadAt();
        if (at !== undefined && (oldest === undefined || at < oldest)) oldest = at;
      }
      return oldest;
    });
    return () => {
      removeLag();
      removeOldest();
    };
  }

  function waitingTotal(): number {
    let waiting = 0;
    for (const s of partitions.all()) waiting += s.tracker.waiting;
    return waiting;
  }

  return {
    async start() {
      admin = deps.kafka.admin();
      await admin.connect();
      // Subscribed before the consumer starts, so that no pause or resume during its start is missed.
      unsubscribeIntake = intake.subscribe((paused) => (paused ? consumer.pause() : consumer.resume()), pauseOn);
      await consumer.start();
      removeLiveSources = registerLiveSources();
      flushTimer = setInterval(() => {
        void commits.flush().catch((e) => log.error({ err: e }, 'flush failed'));
        watchdog.tick();
      }, eager ? 250 : options.flushIntervalMs);
    },

    async stop() {
      stopping = true;
      unsubscribeIntake?.();
      removeLiveSources?.();
      consumer.pause();
      const deadline = Date.now() + options.shutdownTimeoutMs;
      // Finish what is in flight, within the shutdown timeout; what is not finished is handed
      // back uncommitted and the next owner processes it.
      while (capacity.used > 0 && Date.now() < deadline) await sleep(50);
      if (flushTimer) clearInterval(flushTimer);
      await commits.flush().catch(() => undefined);
      for (const s of partitions.all()) if (s.committing) await s.committing.catch(() => undefined);
      await commits.flush().catch(() => undefined);
      // A document finishing after this point is not committed: the next owner processes it.
      await commits.close();
      if (capacity.used > 0) log.warn({ inFlight: capacity.used }, 'shutdown timeout: unfinished documents handed back uncommitted');
      await consumer.disconnect();
      await admin?.disconnect().catch(() => undefined);
      for (const s of partitions.all()) s.retryPause.cancel();
      // Every partition's transactional producer: without this they stay connected after stop.
      await committer.close().catch((e: unknown) => log.warn({ err: e }, 'closing the transactional producers failed'));
    },

    stats() {
      return { inFlight: capacity.used, waiting: waitingTotal(), committed: commits.committed, partitions: partitions.size, routes: dispatch.routes() };
    },

    async flush() {
      await commits.flush();
    },
  };
}
