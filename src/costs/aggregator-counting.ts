/**
 * The cost aggregator's counting: each cost event read is decoded, deduplicated by call id and
 * added to the day's totals; what changed since the last flush, and the offset after the last
 * event counted per partition, wait for the next flush (aggregator-flush.ts).
 */
import type { KafkaMessage } from 'kafkajs';
import { CostEvent } from '../contracts/index.ts';
import { decodeJson } from '../kafka/serde.ts';
import type { Logger } from '../observability/logger.ts';
import { applyCostEvent, type TotalsState } from './daily-totals.ts';
import type { DedupWindow } from './dedup.ts';

export interface AggregatorStats {
  events: number;
  duplicates: number;
  invalid: number;
  flushes: number;
  restoredRecords: number;
  dedupWarmed: number;
}

export interface CostCounter {
  readonly stats: AggregatorStats;
  /** The totals; replaced at start by what llm.costs.daily holds. */
  state: TotalsState;
  /** Counts one record of a partition, unless it was counted before a rejoin made KafkaJS fetch it again. */
  count(m: KafkaMessage, partition: number): void;
  /** Events counted since the last flush. */
  readonly sinceFlush: number;
  /** What the next flush writes: the changed totals' keys and the offsets to commit; cleared by it. */
  take(): { keys: string[]; offsets: { partition: number; offset: string }[]; counted: number };
  /** A flush failed: its keys are written again by the next one. */
  giveBack(keys: string[]): void;
  /** A flush committed these offsets and this many events. */
  committed(offsets: { partition: number; offset: string }[], counted: number): void;
}

export function createCostCounter(deps: { dedup: DedupWindow; topic: string; log: Logger }): CostCounter {
  const { dedup, log } = deps;
  const stats: AggregatorStats = { events: 0, duplicates: 0, invalid: 0, flushes: 0, restoredRecords: 0, dedupWarmed: 0 };
  let dirty = new Set<string>();
  /** partition → offset after the last event counted; what the next flush commits. */
  const next = new Map<number, bigint>();
  const done = new Map<number, bigint>();
  let sinceFlush = 0;
  const counter: CostCounter = {
    stats,
    state: new Map(),
    count(m, partition) {
      const offset = BigInt(m.offset);
      const seen = next.get(partition);
      // After a rejoin KafkaJS refetches from the committed offset: what we counted since is in memory already.
      if (seen !== undefined && offset < seen) return;
      next.set(partition, offset + 1n);
      if (m.value === null) return;
      let e: CostEvent;
      try {
        e = decodeJson(m.value, CostEvent, 'decode', 'cost event');
      } catch (err) {
        stats.invalid++;
        log.warn({ topic: deps.topic, partition, offset: m.offset, err: (err as Error).message }, 'skipping an invalid cost event');
        return;
      }
      if (!dedup.firstTime(e.call_id)) {
        stats.duplicates++;
        log.debug({ callId: e.call_id, documentId: e.document_id, partition, offset: m.offset }, 'duplicate cost event ignored');
        return;
      }
      dirty.add(applyCostEvent(counter.state, e));
      stats.events++;
      sinceFlush++;
    },
    get sinceFlush() {
      return sinceFlush;
    },
    take() {
      const keys = [...dirty];
      dirty = new Set();
      const offsets = [...next].filter(([p, o]) => done.get(p) !== o).map(([partition, o]) => ({ partition, offset: o.toString() }));
      return { keys, offsets, counted: sinceFlush };
    },
    giveBack(keys) {
      for (const k of keys) dirty.add(k);
    },
    committed(offsets, counted) {
      for (const o of offsets) done.set(o.partition, BigInt(o.offset));
      sinceFlush -= counted;
      stats.flushes++;
    },
  };
  return counter;
}
