/**
 * `enricher aggregate-costs`: sums llm.cost-events into llm.costs.daily (per UTC day × model,
 * with breakdowns by step, run and processor instance) and raises the budget alerts.
 *
 * Why transactions rather than an idempotent dedup store: every flush writes the changed
 * DailyCost records, any budget alert due, and the consumed cost-event offsets in ONE Kafka
 * transaction under a stable transactionalId. The totals and the position they are the
 * totals of move together or not at all. A restart, a crash or a SIGKILL between or in the
 * middle of a flush all end the same way: the next instance fences the old one (which aborts
 * its open transaction), rebuilds its totals from llm.costs.daily read_committed, and resumes
 * at the committed offsets, which is exactly the first event those totals do not contain.
 * Nothing is counted twice and nothing is lost, and there is no second store (a table of seen
 * call ids) that would have to be kept in step with the totals and could drift from them.
 * Dedup by call id remains for what offsets cannot see, the same call written twice at two
 * offsets (a producer re-send): a bounded window of recent call ids, refilled at start from
 * the tail of llm.cost-events before the committed offsets.
 * The price: one aggregator at a time. Totals per day and model are single records, so two
 * live aggregators would overwrite each other's; a newer instance fences the older one at its
 * start, and the older one stops at its next flush (its uncommitted counts are discarded and
 * recounted by the newer one from the committed offsets). And llm.costs.daily changes once
 * per flush (COST_FLUSH_INTERVAL, 1 s), not once per event.
 */
import type { Admin, Consumer, KafkaMessage, Producer } from 'kafkajs';
import type { Config } from '../config.ts';
import { CostEvent, type BudgetAlert, type DailyCost } from '../contracts/index.ts';
import { decodeJson, plainJson, type ValueEncoder } from '../kafka/serde.ts';
import type { KafkaClient } from '../kafka/client.ts';
import { isAuthorizationError, isFencing } from '../kafka/error-kinds.ts';
import type { Logger } from '../observability/logger.ts';
import { restoreAlerts, restoreTotals, warmDedupWindow } from './aggregator-restore.ts';
import { alertKey, dueAlerts } from './budget/budget-levels.ts';
import { applyCostEvent, toDailyCost, utcDay, type TotalsState } from './daily-totals.ts';
import { createDedupWindow } from './dedup.ts';

export interface CostAggregatorDeps {
  kafka: KafkaClient;
  config: Pick<Config, 'topics' | 'costs' | 'kafka'>;
  /** The daily budget now (pipeline.config, else the environment). */
  budgetUsd: () => number | undefined;
  logger: Logger;
  now?: () => Date;
  /** Encodes what the aggregator writes (default plain JSON; the wire format with a schema registry). */
  encode?: ValueEncoder;
}

export interface AggregatorStats {
  events: number;
  duplicates: number;
  invalid: number;
  flushes: number;
  restoredRecords: number;
  dedupWarmed: number;
}

export interface CostAggregator {
  start(): Promise<void>;
  /** Stops consuming, flushes what was counted, and leaves. */
  stop(): Promise<void>;
  /** Leaves without flushing, as a crash would: the next instance redoes the unflushed part. */
  abort(): Promise<void>;
  flush(): Promise<void>;
  /** The totals in memory now (flushed or not). */
  totals(): DailyCost[];
  stats(): AggregatorStats;
  /** Rejects when the aggregator had to stop on its own (fenced by a newer instance). */
  readonly failed: Promise<never>;
}

export function aggregatorTransactionalId(groupId: string): string {
  return `${groupId}.tx`;
}

export function createCostAggregator(deps: CostAggregatorDeps): CostAggregator {
  const { kafka, config, logger } = deps;
  const log = logger.child({ component: 'cost-aggregator' });
  const now = deps.now ?? (() => new Date());
  const encode = deps.encode ?? plainJson;
  const groupId = config.costs.aggregatorGroupId;
  const source = `cost-aggregator@${config.kafka.instanceId}`;
  const topics = config.topics;
  const dedup = createDedupWindow(config.costs.dedupWindow);
  let state: TotalsState = new Map();
  let dirty = new Set<string>();
  let alerted = new Set<string>();
  /** partition → offset after the last event counted; what the next flush commits. */
  const next = new Map<number, bigint>();
  const committed = new Map<number, bigint>();
  const stats: AggregatorStats = { events: 0, duplicates: 0, invalid: 0, flushes: 0, restoredRecords: 0, dedupWarmed: 0 };
  let sinceFlush = 0;
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;
  let admin: Admin | undefined;
  let timer: NodeJS.Timeout | undefined;
  let summaryTimer: NodeJS.Timeout | undefined;
  let flushChain: Promise<void> = Promise.resolve();
  let halted = false;
  let rejectFailed: (e: Error) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (rejectFailed = reject));
  failed.catch(() => undefined); // observed by whoever awaits it; never an unhandled rejection

  function fatal(e: Error): void {
    if (halted) return;
    halted = true;
    if (timer) clearInterval(timer);
    if (summaryTimer) clearInterval(summaryTimer);
    if (isAuthorizationError(e)) log.error({ group: groupId, err: e.message }, 'cost aggregator stopping: Kafka refused an operation (a missing ACL)');
    else log.error({ group: groupId, err: e.message }, 'cost aggregator stopping: a newer instance took over; its totals are the ones that count');
    void consumer?.disconnect().catch(() => undefined);
    rejectFailed(e);
  }

  function count(m: KafkaMessage, partition: number): void {
    if (m.value === null) return;
    let e: CostEvent;
    try {
      e = decodeJson(m.value, CostEvent, 'decode', 'cost event');
    } catch (err) {
      stats.invalid++;
      log.warn({ topic: topics.costEvents, partition, offset: m.offset, err: (err as Error).message }, 'skipping an invalid cost event');
      return;
    }
    if (!dedup.firstTime(e.call_id)) {
      stats.duplicates++;
      log.debug({ callId: e.call_id, documentId: e.document_id, partition, offset: m.offset }, 'duplicate cost event ignored');
      return;
    }
    dirty.add(applyCostEvent(state, e));
    stats.events++;
    sinceFlush++;
  }

  async function connectProducer(): Promise<Producer> {
    const p = kafka.producer({ transactionalId: aggregatorTransactionalId(groupId), idempotent: true, maxInFlightRequests: 1, transactionTimeout: 60_000 });
    await p.connect();
    return p;
  }

  async function doFlush(): Promise<void> {
    if (halted) return;
    producer ??= await connectProducer();
    // Snapshot synchronously: events counted while the transaction is open go to the next one.
    const at = now();
    const keys = [...dirty];
    const records = keys.flatMap((k) => {
      const t = state.get(k);
      return t ? [{ key: k, value: encode(topics.costsDaily, toDailyCost(t, at.toISOString())) }] : [];
    });
    const offsets = [...next].filter(([p, o]) => committed.get(p) !== o).map(([partition, o]) => ({ partition, offset: o.toString() }));
    const today = utcDay(at);
    let spend = 0n;
    for (const t of state.values()) if (t.day === today) spend += t.total.pico;
    const alerts = dueAlerts({ day: today, spend, budgetUsd: deps.budgetUsd(), alreadySent: alerted, at, source });
    if (records.length === 0 && offsets.length === 0 && alerts.length === 0) return;
    const counted = sinceFlush;
    dirty = new Set();

    const tx = await producer.transaction();
    try {
      const topicMessages = [
        ...(records.length ? [{ topic: topics.costsDaily, messages: records }] : []),
        ...(alerts.length ? [{ topic: topics.budgetAlerts, messages: alerts.map((a) => ({ key: alertKey(a.day, a.level), value: encode(topics.budgetAlerts, a) })) }] : []),
      ];
      if (topicMessages.length) await tx.sendBatch({ topicMessages, acks: -1 });
      if (offsets.length) await tx.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: topics.costEvents, partitions: offsets }] });
      await tx.commit();
    } catch (e) {
      await tx.abort().catch(() => undefined);
      for (const k of keys) dirty.add(k);
      // Fenced by a newer aggregator, or no right to our transactional id: either way this one must stop.
      if (isFencing(e) || isAuthorizationError(e)) fatal(e as Error);
      else {
        // A producer whose transaction failed may be in a state KafkaJS cannot leave: the next
        // flush starts with a new one under the same id (which also fences this one).
        const broken = producer;
        producer = undefined;
        await broken?.disconnect().catch(() => undefined);
      }
      throw e;
    }
    for (const o of offsets) committed.set(o.partition, BigInt(o.offset));
    sinceFlush -= counted;
    stats.flushes++;
    for (const a of alerts) raised(a);
    log.debug({ records: records.length, alerts: alerts.length, offsets }, 'flushed');
  }

  function raised(a: BudgetAlert): void {
    alerted.add(alertKey(a.day, a.level));
    const fields = { day: a.day, alertLevel: a.level, budgetUsd: a.budget_usd, spendUsd: a.spend_usd, spendPct: a.spend_pct };
    if (a.level === 'exceeded') log.error(fields, `daily LLM budget exceeded: $${a.spend_usd.toFixed(4)} of $${a.budget_usd}`);
    else log.warn(fields, `daily LLM budget ${a.threshold_pct} % used: $${a.spend_usd.toFixed(4)} of $${a.budget_usd}`);
  }

  function flush(): Promise<void> {
    flushChain = flushChain.catch(() => undefined).then(doFlush);
    return flushChain;
  }

  return {
    failed,
    async start() {
      admin = kafka.admin();
      await admin.connect();
      producer = await connectProducer();
      // The first transaction runs InitProducerId: it fences any older instance and waits for
      // its open transaction to be aborted, so what we read next is final.
      const fence = await producer.transaction();
      await fence.abort();

      const readDeps = { kafka, groupBase: `${groupId}.restore`, logger: log };
      state = await restoreTotals(readDeps, topics.costsDaily);
      alerted = await restoreAlerts(readDeps, topics.budgetAlerts);
      stats.restoredRecords = state.size;
      stats.dedupWarmed = await warmDedupWindow({ ...readDeps, admin, groupId }, topics.costEvents, config.costs.dedupWindow, dedup);

      // A short session: after a crash, the group waits this long for the dead member before
      // the next instance is assigned its partitions.
      consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 250, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
      await consumer.connect();
      await consumer.subscribe({ topic: topics.costEvents, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          const p = batch.partition;
          for (const m of batch.messages) {
            if (!isRunning() || isStale() || halted) return;
            const offset = BigInt(m.offset);
            const seen = next.get(p);
            // After a rejoin KafkaJS refetches from the committed offset: what we counted since is in memory already.
            if (seen === undefined || offset >= seen) {
              count(m, p);
              next.set(p, offset + 1n);
            }
            resolveOffset(m.offset);
          }
          if (sinceFlush >= config.costs.flushMaxEvents) await flush().catch((e: Error) => log.warn({ err: e.message }, 'flush failed; retrying on the next one'));
          await heartbeat();
        },
      });
      timer = setInterval(() => void flush().catch((e: Error) => log.warn({ err: e.message }, 'flush failed; retrying on the next one')), config.costs.flushIntervalMs);
      let reported = 0;
      summaryTimer = setInterval(() => {
        if (stats.events === reported) return;
        reported = stats.events;
        log.info({ ...stats, records: state.size }, 'cost aggregator progress');
      }, 60_000);
      timer.unref();
      summaryTimer.unref();
      log.info(
        { group: groupId, input: topics.costEvents, output: topics.costsDaily, restoredRecords: stats.restoredRecords, dedupWarmed: stats.dedupWarmed, alertsKnown: alerted.size },
        'cost aggregator started',
      );
    },

    async stop() {
      if (timer) clearInterval(timer);
      if (summaryTimer) clearInterval(summaryTimer);
      await consumer?.disconnect().catch(() => undefined);
      try {
        if (!halted) await flush();
      } finally {
        halted = true;
        await producer?.disconnect().catch(() => undefined);
        await admin?.disconnect().catch(() => undefined);
      }
      log.info({ ...stats, records: state.size }, 'cost aggregator stopped');
    },

    async abort() {
      halted = true;
      if (timer) clearInterval(timer);
      if (summaryTimer) clearInterval(summaryTimer);
      await consumer?.disconnect().catch(() => undefined);
      await producer?.disconnect().catch(() => undefined);
      await admin?.disconnect().catch(() => undefined);
    },

    flush,
    totals: () => [...state.values()].map((t) => toDailyCost(t, now().toISOString())),
    stats: () => ({ ...stats }),
  };
}

