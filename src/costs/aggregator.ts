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
 * The jobs are apart: counting (aggregator-counting.ts), the flush transaction
 * (aggregator-flush.ts), what is read at start (aggregator-restore.ts); here, their order and
 * the consumer, which runs in the consumer lifecycle (restarted after a crash, like the
 * processor's).
 * The price: one aggregator at a time. Totals per day and model are single records, so two
 * live aggregators would overwrite each other's; a newer instance fences the older one at its
 * start, and the older one stops at its next flush (its uncommitted counts are discarded and
 * recounted by the newer one from the committed offsets). And llm.costs.daily changes once
 * per flush (COST_FLUSH_INTERVAL, 1 s), not once per event.
 */
import type { Admin } from 'kafkajs';
import type { Config } from '../config.ts';
import type { DailyCost } from '../contracts/index.ts';
import { createBrokerWatchdog } from '../kafka/broker-watchdog.ts';
import type { KafkaClient } from '../kafka/client.ts';
import { createConsumerLifecycle, type ConsumerLifecycle } from '../kafka/consumer-lifecycle.ts';
import { isAuthorizationError } from '../kafka/error-kinds.ts';
import { plainJson, type ValueEncoder } from '../kafka/serde.ts';
import type { Logger } from '../observability/logger.ts';
import { createCostCounter, type AggregatorStats } from './aggregator-counting.ts';
import { createAggregatorFlush } from './aggregator-flush.ts';
import { restoreAlerts, restoreTotals, warmDedupWindow } from './aggregator-restore.ts';
import { toDailyCost } from './daily-totals.ts';
import { createDedupWindow } from './dedup.ts';

export type { AggregatorStats } from './aggregator-counting.ts';
export { aggregatorTransactionalId } from './aggregator-flush.ts';

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

export function createCostAggregator(deps: CostAggregatorDeps): CostAggregator {
  const { kafka, config, logger } = deps;
  const log = logger.child({ component: 'cost-aggregator' });
  const now = deps.now ?? (() => new Date());
  const groupId = config.costs.aggregatorGroupId;
  const topics = config.topics;
  const dedup = createDedupWindow(config.costs.dedupWindow);
  const counter = createCostCounter({ dedup, topic: topics.costEvents, log });
  const stats = counter.stats;
  let consumer: ConsumerLifecycle | undefined;
  let admin: Admin | undefined;
  const timers: NodeJS.Timeout[] = [];
  let flushChain: Promise<void> = Promise.resolve();
  let halted = false;
  let rejectFailed: (e: Error) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (rejectFailed = reject));
  failed.catch(() => undefined); // observed by whoever awaits it; never an unhandled rejection

  function fatal(e: Error): void {
    if (halted) return;
    halted = true;
    for (const t of timers) clearInterval(t);
    if (isAuthorizationError(e)) log.error({ group: groupId, err: e.message }, 'cost aggregator stopping: Kafka refused an operation (a missing ACL)');
    else log.error({ group: groupId, err: e.message }, 'cost aggregator stopping: a newer instance took over; its totals are the ones that count');
    void consumer?.disconnect().catch(() => undefined);
    rejectFailed(e);
  }

  const writer = createAggregatorFlush({
    kafka, groupId, topics, counter, budgetUsd: deps.budgetUsd, encode: deps.encode ?? plainJson,
    source: `cost-aggregator@${config.kafka.instanceId}`, now, log, onFatal: fatal,
  });

  function flush(): Promise<void> {
    flushChain = flushChain.catch(() => undefined).then(() => (halted ? undefined : writer.flush()));
    return flushChain;
  }
  const flushQuietly = () => flush().catch((e: Error) => log.warn({ err: e.message }, 'flush failed; retrying on the next one'));

  return {
    failed,
    async start() {
      admin = kafka.admin();
      await admin.connect();
      // Fenced first: what is read next is final (any older instance's open transaction ended).
      await writer.fence();
      const readDeps = { kafka, groupBase: `${groupId}.restore`, logger: log };
      counter.state = await restoreTotals(readDeps, topics.costsDaily);
      writer.alerted = await restoreAlerts(readDeps, topics.budgetAlerts);
      stats.restoredRecords = counter.state.size;
      stats.dedupWarmed = await warmDedupWindow({ ...readDeps, admin, groupId }, topics.costEvents, config.costs.dedupWindow, dedup);

      // A short session: after a crash, the group waits this long for the dead member before
      // the next instance is assigned its partitions.
      consumer = createConsumerLifecycle({
        kafka, groupId, topics: [topics.costEvents], sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, partitionsConsumedConcurrently: 1,
        watchdog: createBrokerWatchdog({ giveUpAfterMs: config.kafka.giveUpAfterMs, isStopping: () => halted, log, onFatal: fatal }),
        isStopping: () => halted, log, onAssignment: () => undefined,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          for (const m of batch.messages) {
            if (!isRunning() || isStale() || halted) return;
            counter.count(m, batch.partition);
            resolveOffset(m.offset);
          }
          if (counter.sinceFlush >= config.costs.flushMaxEvents) await flushQuietly();
          await heartbeat();
        },
      });
      await consumer.start();
      timers.push(setInterval(() => void flushQuietly(), config.costs.flushIntervalMs));
      let reported = 0;
      timers.push(setInterval(() => {
        if (stats.events === reported) return;
        reported = stats.events;
        log.info({ ...stats, records: counter.state.size }, 'cost aggregator progress');
      }, 60_000));
      for (const t of timers) t.unref();
      log.info(
        { group: groupId, input: topics.costEvents, output: topics.costsDaily, restoredRecords: stats.restoredRecords, dedupWarmed: stats.dedupWarmed, alertsKnown: writer.alerted.size },
        'cost aggregator started',
      );
    },

    async stop() {
      for (const t of timers) clearInterval(t);
      await consumer?.disconnect().catch(() => undefined);
      try {
        if (!halted) await flush();
      } finally {
        halted = true;
        await writer.close();
        await admin?.disconnect().catch(() => undefined);
      }
      log.info({ ...stats, records: counter.state.size }, 'cost aggregator stopped');
    },

    async abort() {
      halted = true;
      for (const t of timers) clearInterval(t);
      await consumer?.disconnect().catch(() => undefined);
      await writer.close();
      await admin?.disconnect().catch(() => undefined);
    },

    flush,
    totals: () => [...counter.state.values()].map((t) => toDailyCost(t, now().toISOString())),
    stats: () => ({ ...stats }),
  };
}
