/**
 * From a fetched batch to documents in flight: each record of a partition we own is tracked,
 * run in its key's lane (documents with one key in order, the rest side by side) within the
 * capacity bound, and its outcome handed to the commit path. A document that failed for the
 * service's sake (the API refuses us) is not the document's fault: it waits until the service
 * is healthy again and runs again, never routed.
 */
import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { EnricherError } from '../errors.ts';
import type { IntakeControl, PauseReason } from '../guards/intake-control.ts';
import { normalizeHeaders, type SourceRecord } from '../kafka/records.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { HandleResult, Route } from '../pipeline/document-handler.ts';
import type { Capacity } from './capacity.ts';
import type { CommitPath } from './commit-path.ts';
import type { KeyLanes } from './key-lanes.ts';
import type { PartitionOwnership, PartitionState } from './partition-ownership.ts';
import { sleep } from '../util/sleep.ts';

export interface Dispatch {
  eachBatch(payload: EachBatchPayload): Promise<void>;
  routes(): Record<Route, number>;
}

/** Awaits work while calling heartbeat on the group's interval (KafkaJS only heartbeats between batches). */
async function whileHeartbeating<T>(work: Promise<T>, heartbeat: () => Promise<void>, intervalMs: number): Promise<T> {
  let done = false;
  const beat = (async () => {
    while (!done) {
      await sleep(intervalMs);
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

export function createDispatch(deps: {
  /** `abandoned` turns true when the record's partition state is dropped (revoked, fenced). */
  handle: (record: SourceRecord, abandoned: () => boolean) => Promise<HandleResult>;
  waitOutServiceError: (error: EnricherError, documentId: string) => Promise<void>;
  /** For retry topics: when a record is due (epoch ms); undefined when it is due now. */
  dueAt?: ((message: KafkaMessage) => number | undefined) | undefined;
  onRouted?: ((route: Route, documentId: string | undefined) => void) | undefined;
  partitions: Pick<PartitionOwnership, 'stateFor' | 'ensureReady' | 'isCurrent'>;
  commits: Pick<CommitPath, 'finished'>;
  capacity: Capacity;
  lanes: KeyLanes;
  intake: IntakeControl;
  pauseOn: readonly PauseReason[];
  isStopping: () => boolean;
  onBrokerContact: () => void;
  heartbeatIntervalMs: number;
  log: Logger;
  metrics: Pick<Metrics, 'inFlight'>;
}): Dispatch {
  const { partitions, capacity, metrics, log } = deps;
  const routes: Record<Route, number> = { enriched: 0, review: 0, retry: 0, dlq: 0 };

  /** Runs one record in its key's lane until it has an outcome, its partition is dropped, or we stop. */
  function dispatchRecord(s: PartitionState, message: KafkaMessage): void {
    const record: SourceRecord = {
      topic: s.topic, partition: s.partition, offset: message.offset, timestamp: message.timestamp,
      key: message.key, value: message.value, headers: normalizeHeaders(message.headers),
    };
    const laneKey = message.key ? message.key.toString('utf8') : `offset:${message.offset}`;
    const abandoned = () => !partitions.isCurrent(s);
    deps.lanes.run(laneKey, async () => {
      try {
        for (;;) {
          if (abandoned()) return; // revoked or fenced while it waited in its key's lane
          const result = await deps.handle(record, abandoned);
          if (result.kind === 'abandoned') return;
          if (result.kind === 'service-error') {
            await deps.waitOutServiceError(result.error, result.documentId);
            if (deps.isStopping()) return; // handed back uncommitted
            continue;
          }
          if (abandoned()) return; // revoked or fenced meanwhile
          if (s.tracker.complete(message.offset, result.messages, { route: result.route, enteredAt: result.enteredAt, trace: result.trace })) {
            routes[result.route]++;
            deps.onRouted?.(result.route, result.documentId);
            deps.commits.finished(s);
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
    deps.onBrokerContact();
    const s = partitions.stateFor(batch.topic, batch.partition);
    // Fencing waits for the previous owner's open transaction to end, which can take longer
    // than a session: keep heartbeating meanwhile, or the group evicts us and rebalances again.
    await whileHeartbeating(partitions.ensureReady(s), heartbeat, deps.heartbeatIntervalMs);
    const stillWanted = () => isRunning() && !isStale() && !deps.isStopping() && !deps.intake.isPaused(deps.pauseOn) && partitions.isCurrent(s);

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
        s.retryPause.until(due, pause);
        log.debug({ topic: batch.topic, partition: batch.partition, offset: message.offset, dueInMs: due - Date.now() }, 'retry not due yet; partition paused until it is');
        break;
      }
      if (!(await capacity.acquire(stillWanted, heartbeat))) break;
      metrics.inFlight.set(capacity.used);
      s.tracker.add(message.offset);
      resolveOffset(message.offset);
      dispatchRecord(s, message);
    }
    log.debug({ topic: batch.topic, partition: batch.partition, first: batch.firstOffset(), last: batch.lastOffset(), n: batch.messages.length, highest: s.tracker.highestAdded()?.toString() }, 'batch');
    await heartbeat();
  }

  return { eachBatch, routes: () => ({ ...routes }) };
}
