/**
 * The consume → process → commit engine shared by the raw and retry consumers.
 *
 * - Many documents of a partition are in flight at once (bounded by Capacity); documents with
 *   the same key run in order (KeyLanes).
 * - Each partition commits only its contiguous finished prefix, outputs and offset in one
 *   transaction, on a flush timer or when enough is finished.
 * - A partition taken over by another instance fences us; we then drop its state and never
 *   commit for offsets we no longer own. A partition we receive is fenced first, and records
 *   below the (now stable) committed offset are skipped: a zombie may have committed them.
 * - Retry topics give `dueAt`: a partition whose next record is not due is paused and resumed
 *   when it is (the way Spring Kafka's retry topics wait), never slept on.
 */
import type { Admin, Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { KafkaClient } from '../kafka/client.ts';
import type { Committer } from '../kafka/transactional-committer.ts';
import { isFencing } from '../kafka/error-kinds.ts';
import { normalizeHeaders, type SourceRecord } from '../kafka/records.ts';
import type { EnricherError } from '../errors.ts';
import { createCapacity } from './capacity.ts';
import type { HandleResult, Route } from '../pipeline/document-handler.ts';
import { ALL_REASONS, type IntakeControl, type PauseReason } from '../guards/intake-control.ts';
import { createKeyLanes } from './key-lanes.ts';
import { createPartitionTracker, type PartitionTracker } from './partition-tracker.ts';

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

interface PartitionState {
  topic: string;
  partition: number;
  tracker: PartitionTracker;
  /** Records below this offset were committed by a previous owner: skip them. */
  floor: bigint;
  ready: Promise<void> | undefined;
  committing: Promise<void> | undefined;
  resumeTimer: NodeJS.Timeout | undefined;
  /** Resumes the partition paused until its next retry is due (set with resumeTimer). */
  resumePartition: (() => void) | undefined;
  /** The group's committed offset for this partition as far as we know: the floor, then each commit's. */
  committedUpTo: bigint;
  /**
   * Set when a commit failed with an unknown outcome (broker gone, timeout mid-commit): before
   * trying again, the partition is fenced (ending any open transaction) and its committed offset
   * read, so a transaction that did commit is not committed twice (see settleUnknownCommit).
   */
  unknownCommit: { nextOffset: bigint; count: number } | undefined;
}

export interface PartitionedProcessor {
  start(): Promise<void>;
  stop(): Promise<void>;
  stats(): { inFlight: number; waiting: number; committed: number; partitions: number; routes: Record<Route, number> };
  /** Commits whatever is finished now (tests and shutdown). */
  flush(): Promise<void>;
}

const pkey = (topic: string, partition: number) => `${topic}:${partition}`;

/** Awaits work while calling heartbeat on the group's interval (KafkaJS only heartbeats between batches). */
async function whileHeartbeating<T>(work: Promise<T>, heartbeat: () => Promise<void>, intervalMs: number): Promise<T> {
  let done = false;
  const beat = (async () => {
    while (!done) {
      await new Promise((r) => setTimeout(r, intervalMs));
      if (!done) await heartbeat().catch(() => undefined);
    }
  })();
  try {
    return await work;
  } finally {
    done = true;
    void beat;
  }
}

export function createPartitionedProcessor(deps: PartitionedProcessorDeps): PartitionedProcessor {
  const { logger, metrics, options, committer, intake } = deps;
  const pauseOn = deps.pauseOn ?? ALL_REASONS;
  // FLUSH_INTERVAL=0: commit as soon as a prefix is finished (the timer then only retries).
  const eager = options.flushIntervalMs === 0;
  const log = logger.child({ consumer: deps.name });
  const partitions = new Map<string, PartitionState>();
  const lanes = createKeyLanes((e) => log.error({ err: e }, 'unexpected error in a processing task'));
  const capacity = createCapacity({
    maxInFlight: options.maxInFlight,
    maxPendingBytes: options.maxPendingBytes,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    pendingBytes: () => {
      let n = 0;
      for (const s of partitions.values()) n += s.tracker.waitingBytes;
      return n;
    },
  });
  const routes: Record<Route, number> = { enriched: 0, review: 0, retry: 0, dlq: 0 };
  let committed = 0;
  let consumer: Consumer | undefined;
  let admin: Admin | undefined;
  let flushTimer: NodeJS.Timeout | undefined;
  let stopping = false;
  let unsubscribeIntake: (() => void) | undefined;
  let lastBrokerContact = Date.now();
  let fatal = false;

  function checkGiveUp(e: Error): void {
    if (fatal || stopping) return;
    const silentFor = Date.now() - lastBrokerContact;
    if (silentFor > options.giveUpAfterMs) {
      fatal = true;
      log.fatal({ silentForMs: silentFor, giveUpAfterMs: options.giveUpAfterMs, err: e.message }, 'Kafka unreachable for longer than BROKER_GIVE_UP_AFTER: giving up');
      deps.onFatal?.(e);
    }
  }

  async function committedOffset(topic: string, partition: number): Promise<bigint> {
    const res = await admin!.fetchOffsets({ groupId: deps.groupId, topics: [topic] });
    const o = res.find((r) => r.topic === topic)?.partitions.find((p) => p.partition === partition)?.offset;
    return o === undefined || Number(o) < 0 ? -1n : BigInt(o);
  }

  function stateFor(topic: string, partition: number): PartitionState {
    const k = pkey(topic, partition);
    let s = partitions.get(k);
    if (!s) {
      s = { topic, partition, tracker: createPartitionTracker(), floor: -1n, ready: undefined, committing: undefined, resumeTimer: undefined, resumePartition: undefined, committedUpTo: -1n, unknownCommit: undefined };
      partitions.set(k, s);
    }
    return s;
  }

  async function ensureReady(s: PartitionState): Promise<void> {
    s.ready ??= (async () => {
      await committer.prepare(s.topic, s.partition);
      s.floor = await committedOffset(s.topic, s.partition);
      s.committedUpTo = s.floor;
      log.info({ topic: s.topic, partition: s.partition, committedOffset: s.floor.toString() }, 'partition ready');
    })();
    try {
      await s.ready;
    } catch (e) {
      s.ready = undefined;
      throw e;
    }
  }

  async function dropPartition(s: PartitionState, why: string): Promise<void> {
    const k = pkey(s.topic, s.partition);
    if (partitions.get(k) !== s) return;
    partitions.delete(k);
    if (s.resumeTimer) {
      // KafkaJS keeps a partition's pause across rebalances: one left paused here would never
      // be read again by this consumer, even when the partition comes back to it.
      clearTimeout(s.resumeTimer);
      s.resumeTimer = undefined;
      s.resumePartition?.();
    }
    log.info({ topic: s.topic, partition: s.partition, dropped: s.tracker.size, why }, 'partition state dropped');
    await committer.release(s.topic, s.partition).catch(() => undefined);
  }

  /** Drops our state for the partition and moves our consumer to its committed offset, to re-read from there. */
  async function handOver(s: PartitionState, why: string): Promise<void> {
    await dropPartition(s, why);
    if (!consumer || stopping) return;
    try {
      const o = await committedOffset(s.topic, s.partition);
      consumer.seek({ topic: s.topic, partition: s.partition, offset: (o < 0n ? 0n : o).toString() });
    } catch {
      // Not ours any more, or the broker is away: the next assignment re-reads the offset.
    }
  }

  /**
   * After a commit with an unknown outcome: fence (which ends any open transaction for the
   * partition, ours or another owner's) and read the now stable committed offset C.
   * - C is what we had committed before: the attempt did not go through; try again.
   * - C is the attempt's end: it went through; do not commit it twice.
   * - anything else: another owner fenced us and committed meanwhile, so part of our work is
   *   theirs. Keeping any of it could commit a document twice, so the state is dropped and
   *   the partition re-read from C. Returns false then.
   */
  async function settleUnknownCommit(s: PartitionState): Promise<boolean> {
    const attempt = s.unknownCommit!;
    await committer.prepare(s.topic, s.partition);
    const committedNow = await committedOffset(s.topic, s.partition);
    s.unknownCommit = undefined;
    if (committedNow === s.committedUpTo) return true;
    if (committedNow === attempt.nextOffset) {
      s.tracker.markCommitted(attempt.count);
      s.committedUpTo = committedNow;
      committed += attempt.count;
      log.info({ topic: s.topic, partition: s.partition, count: attempt.count, committedOffset: committedNow.toString() }, 'the earlier commit did go through: not committing it again');
      return true;
    }
    log.warn({ topic: s.topic, partition: s.partition, committedOffset: committedNow.toString(), ours: s.committedUpTo.toString(), attempted: attempt.nextOffset.toString() }, 'another owner committed this partition meanwhile; dropping our work on it');
    await handOver(s, 'committed elsewhere');
    return false;
  }

  async function commitPartition(s: PartitionState): Promise<void> {
    if (s.committing) return s.committing;
    if (!s.unknownCommit && !s.tracker.peekCommittable(1)) return;
    s.committing = (async () => {
      let c: ReturnType<PartitionTracker['peekCommittable']>;
      try {
        if (s.unknownCommit && !(await settleUnknownCommit(s))) return;
        c = s.tracker.peekCommittable(options.flushMaxMessages * 4);
        if (!c) return;
        await committer.commit(s.topic, s.partition, c.messages, c.nextOffset);
        lastBrokerContact = Date.now();
        if (partitions.get(pkey(s.topic, s.partition)) === s) s.tracker.markCommitted(c.count);
        s.committedUpTo = BigInt(c.nextOffset);
        committed += c.count;
        metrics.commits.inc();
        log.debug({ topic: s.topic, partition: s.partition, count: c.count, nextOffset: c.nextOffset, outputs: c.messages.length }, 'committed');
      } catch (e) {
        if (isFencing(e)) {
          // Another instance owns this partition now: its outputs are its business.
          log.warn({ topic: s.topic, partition: s.partition, err: (e as Error).message }, 'fenced by a newer owner; dropping the partition');
          await handOver(s, 'fenced');
        } else {
          // Transient (broker restart, timeout): the outcome is unknown, so the next flush first
          // checks whether it went through, then commits what is still uncommitted.
          if (c && !s.unknownCommit) s.unknownCommit = { nextOffset: BigInt(c.nextOffset), count: c.count };
          log.warn({ topic: s.topic, partition: s.partition, err: (e as Error).message }, 'commit failed; will verify and retry');
          checkGiveUp(e as Error);
        }
      } finally {
        s.committing = undefined;
      }
      // Eager mode: what finished during this commit goes out right after it, so commits batch
      // themselves under load and a lone document is not held for a timer.
      if (eager && !s.unknownCommit && partitions.get(pkey(s.topic, s.partition)) === s && s.tracker.peekCommittable(1)) {
        void commitPartition(s);
      }
    })();
    return s.committing;
  }

  async function flush(): Promise<void> {
    await Promise.all([...partitions.values()].map((s) => commitPartition(s)));
    let waiting = 0;
    for (const s of partitions.values()) waiting += s.tracker.waiting;
    metrics.pendingCommit.set(waiting);
  }

  function process(s: PartitionState, message: KafkaMessage, topic: string, partition: number): void {
    const record: SourceRecord = {
      topic, partition, offset: message.offset, timestamp: message.timestamp,
      key: message.key, value: message.value, headers: normalizeHeaders(message.headers),
    };
    const laneKey = message.key ? message.key.toString('utf8') : `offset:${message.offset}`;
    const abandoned = () => partitions.get(pkey(topic, partition)) !== s;
    lanes.run(laneKey, async () => {
      try {
        for (;;) {
          if (abandoned()) return; // revoked or fenced while it waited in its key's lane
          const result = await deps.handle(record, abandoned);
          if (result.kind === 'abandoned') return;
          if (result.kind === 'service-error') {
            await deps.waitOutServiceError(result.error, result.documentId);
            if (stopping) return; // handed back uncommitted
            continue;
          }
          if (abandoned()) return; // revoked or fenced meanwhile
          if (s.tracker.complete(message.offset, result.messages)) {
            routes[result.route]++;
            deps.onRouted?.(result.route, result.documentId);
            if (eager || s.tracker.waiting >= options.flushMaxMessages) void commitPartition(s);
          }
          return;
        }
      } finally {
        capacity.release();
        metrics.inFlight.set(capacity.used);
      }
    });
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale, pause } = payload;
    lastBrokerContact = Date.now();
    const s = stateFor(batch.topic, batch.partition);
    // Fencing waits for the previous owner's open transaction to end, which can take longer
    // than a session: keep heartbeating meanwhile, or the group evicts us and rebalances again.
    await whileHeartbeating(ensureReady(s), heartbeat, options.heartbeatIntervalMs);
    const stillWanted = () => isRunning() && !isStale() && !stopping && !intake.isPaused(pauseOn) && partitions.get(pkey(batch.topic, batch.partition)) === s;

    for (const message of batch.messages) {
      if (!stillWanted()) break;
      const offset = BigInt(message.offset);
      const highest = s.tracker.highestAdded();
      if (offset < s.floor || (highest !== undefined && offset <= highest)) {
        resolveOffset(message.offset); // done by a previous owner, or already in flight here
        continue;
      }
      const due = deps.dueAt?.(message);
      if (due !== undefined && due > Date.now()) {
        const resume = pause();
        if (s.resumeTimer) clearTimeout(s.resumeTimer);
        s.resumePartition = resume;
        s.resumeTimer = setTimeout(() => {
          s.resumeTimer = undefined;
          if (!stopping) resume();
        }, due - Date.now());
        log.debug({ topic: batch.topic, partition: batch.partition, offset: message.offset, dueInMs: due - Date.now() }, 'retry not due yet; partition paused until it is');
        break;
      }
      if (!(await capacity.acquire(stillWanted, heartbeat))) break;
      metrics.inFlight.set(capacity.used);
      s.tracker.add(message.offset);
      resolveOffset(message.offset);
      process(s, message, batch.topic, batch.partition);
    }
    log.debug({ topic: batch.topic, partition: batch.partition, first: batch.firstOffset(), last: batch.lastOffset(), n: batch.messages.length, highest: s.tracker.highestAdded()?.toString() }, 'batch');
    await heartbeat();
  }

  async function startConsumer(): Promise<void> {
    const c = deps.kafka.consumer({
      groupId: deps.groupId,
      readUncommitted: false,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: options.heartbeatIntervalMs,
      rebalanceTimeout: 60_000,
      maxWaitTimeInMs: 250,
    });
    consumer = c;
    c.on(c.events.GROUP_JOIN, (e) => {
      lastBrokerContact = Date.now();
      log.info({ assignment: e.payload.memberAssignment }, 'joined group');
      onAssignment(e.payload.memberAssignment);
    });
    // Any answer from the cluster counts as contact, so an idle or paused consumer is not
    // mistaken for one that lost the broker.
    c.on(c.events.HEARTBEAT, () => void (lastBrokerContact = Date.now()));
    c.on(c.events.FETCH, () => void (lastBrokerContact = Date.now()));
    c.on(c.events.CRASH, (e) => {
      const err = e.payload.error;
      log.error({ err: err.message, restart: e.payload.restart }, 'consumer crashed');
      checkGiveUp(err);
      // KafkaJS restarts itself after retriable errors; after others we start a new consumer,
      // until the give-up time says the cluster is gone for good.
      if (!e.payload.restart && !stopping && !fatal && consumer === c) {
        setTimeout(() => {
          if (stopping || fatal || consumer !== c) return;
          void c.disconnect().catch(() => undefined).then(() => startConsumer()).catch((err2: Error) => {
            log.error({ err: err2.message }, 'consumer restart failed; trying again');
            checkGiveUp(err2);
          });
        }, 2_000);
      }
    });
    await c.connect();
    for (const topic of deps.topics) await c.subscribe({ topic, fromBeginning: true });
    if (intake.isPaused(pauseOn)) c.pause(deps.topics.map((topic) => ({ topic })));
    await c.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 16, eachBatch });
  }

  function onAssignment(assignment: Record<string, number[]>): void {
    const owned = new Set<string>();
    for (const [topic, parts] of Object.entries(assignment)) for (const p of parts) owned.add(pkey(topic, p));
    for (const [k, s] of partitions) {
      if (!owned.has(k)) void dropPartition(s, 'revoked');
    }
  }

  return {
    async start() {
      admin = deps.kafka.admin();
      await admin.connect();
      await startConsumer();
      unsubscribeIntake = intake.subscribe((paused) => {
        const topics = deps.topics.map((topic) => ({ topic }));
        if (paused) consumer?.pause(topics);
        else consumer?.resume(topics);
      }, pauseOn);
      flushTimer = setInterval(() => {
        void flush().catch((e) => log.error({ err: e }, 'flush failed'));
        if (Date.now() - lastBrokerContact > options.giveUpAfterMs) checkGiveUp(new Error('no contact with the Kafka cluster'));
      }, eager ? 250 : options.flushIntervalMs);
    },

    async stop() {
      stopping = true;
      unsubscribeIntake?.();
      await consumer?.pause(deps.topics.map((topic) => ({ topic })));
      const deadline = Date.now() + options.shutdownTimeoutMs;
      // Finish what is in flight, within the shutdown timeout; what is not finished is handed
      // back uncommitted and the next owner processes it.
      while (capacity.used > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      if (flushTimer) clearInterval(flushTimer);
      await flush().catch(() => undefined);
      for (const s of partitions.values()) if (s.committing) await s.committing.catch(() => undefined);
      await flush().catch(() => undefined);
      if (capacity.used > 0) log.warn({ inFlight: capacity.used }, 'shutdown timeout: unfinished documents handed back uncommitted');
      await consumer?.disconnect().catch(() => undefined);
      await admin?.disconnect().catch(() => undefined);
      for (const s of partitions.values()) if (s.resumeTimer) clearTimeout(s.resumeTimer);
    },

    stats() {
      let waiting = 0;
      for (const s of partitions.values()) waiting += s.tracker.waiting;
      return { inFlight: capacity.used, waiting, committed, partitions: partitions.size, routes: { ...routes } };
    },

    flush,
  };
}
