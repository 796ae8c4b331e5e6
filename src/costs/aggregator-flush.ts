/**
 * The cost aggregator's flush: the changed daily totals, any budget alert now due, and the
 * consumed cost-event offsets, in ONE Kafka transaction under the aggregator's stable
 * transactional id. The totals and the position they are the totals of move together or not
 * at all. A flush fenced by a newer aggregator, or refused for a missing ACL, ends this one.
 */
import type { Producer } from 'kafkajs';
import type { BudgetAlert } from '../contracts/index.ts';
import type { KafkaClient } from '../kafka/client.ts';
import { isAuthorizationError, isFencing } from '../kafka/error-kinds.ts';
import type { ValueEncoder } from '../kafka/serde.ts';
import type { Logger } from '../observability/logger.ts';
import type { CostCounter } from './aggregator-counting.ts';
import { alertKey, dueAlerts } from './budget/budget-levels.ts';
import { toDailyCost, utcDay } from './daily-totals.ts';

export function aggregatorTransactionalId(groupId: string): string {
  return `${groupId}.tx`;
}

export interface AggregatorFlush {
  /** The first transaction runs InitProducerId: it fences any older instance and waits for its open transaction to end. */
  fence(): Promise<void>;
  /** Writes what changed; throws when it failed (the next flush writes it again). */
  flush(): Promise<void>;
  /** The alerts already raised (restored at start, then kept as they are raised). */
  alerted: Set<string>;
  close(): Promise<void>;
}

export function createAggregatorFlush(deps: {
  kafka: KafkaClient;
  groupId: string;
  topics: { costEvents: string; costsDaily: string; budgetAlerts: string };
  counter: CostCounter;
  budgetUsd: () => number | undefined;
  encode: ValueEncoder;
  source: string;
  now: () => Date;
  log: Logger;
  /** This aggregator must stop: fenced by a newer one, or refused for a missing ACL. */
  onFatal: (e: Error) => void;
}): AggregatorFlush {
  const { counter, topics, log } = deps;
  let producer: Producer | undefined;

  async function connect(): Promise<Producer> {
    const p = deps.kafka.producer({ transactionalId: aggregatorTransactionalId(deps.groupId), idempotent: true, maxInFlightRequests: 1, transactionTimeout: 60_000 });
    await p.connect();
    return p;
  }

  function raised(a: BudgetAlert): void {
    flush.alerted.add(alertKey(a.day, a.level));
    const fields = { day: a.day, alertLevel: a.level, budgetUsd: a.budget_usd, spendUsd: a.spend_usd, spendPct: a.spend_pct };
    if (a.level === 'exceeded') log.error(fields, `daily LLM budget exceeded: $${a.spend_usd.toFixed(4)} of $${a.budget_usd}`);
    else log.warn(fields, `daily LLM budget ${a.threshold_pct} % used: $${a.spend_usd.toFixed(4)} of $${a.budget_usd}`);
  }

  const flush: AggregatorFlush = {
    alerted: new Set(),
    async fence() {
      producer ??= await connect();
      const tx = await producer.transaction();
      await tx.abort();
    },
    async flush() {
      producer ??= await connect();
      // Taken synchronously: events counted while the transaction is open go to the next one.
      const at = deps.now();
      const { keys, offsets, counted } = counter.take();
      const records = keys.flatMap((k) => {
        const t = counter.state.get(k);
        return t ? [{ key: k, value: deps.encode(topics.costsDaily, toDailyCost(t, at.toISOString())) }] : [];
      });
      const today = utcDay(at);
      let spend = 0n;
      for (const t of counter.state.values()) if (t.day === today) spend += t.total.pico;
      const alerts = dueAlerts({ day: today, spend, budgetUsd: deps.budgetUsd(), alreadySent: flush.alerted, at, source: deps.source });
      if (records.length === 0 && offsets.length === 0 && alerts.length === 0) return;
      const tx = await producer.transaction();
      try {
        const topicMessages = [
          ...(records.length ? [{ topic: topics.costsDaily, messages: records }] : []),
          ...(alerts.length ? [{ topic: topics.budgetAlerts, messages: alerts.map((a) => ({ key: alertKey(a.day, a.level), value: deps.encode(topics.budgetAlerts, a) })) }] : []),
        ];
        if (topicMessages.length) await tx.sendBatch({ topicMessages, acks: -1 });
        if (offsets.length) await tx.sendOffsets({ consumerGroupId: deps.groupId, topics: [{ topic: topics.costEvents, partitions: offsets }] });
        await tx.commit();
      } catch (e) {
        // No abort of ours (transactional-committer.ts says why): the new producer below, or the
        // aggregator that fenced this one, takes the id back, and the coordinator aborts it.
        counter.giveBack(keys);
        if (isFencing(e) || isAuthorizationError(e)) deps.onFatal(e as Error);
        else {
          // A producer whose transaction failed may be in a state KafkaJS cannot leave: the next
          // flush starts with a new one under the same id (which also fences this one).
          const broken = producer;
          producer = undefined;
          await broken?.disconnect().catch(() => undefined);
        }
        throw e;
      }
      counter.committed(offsets, counted);
      for (const a of alerts) raised(a);
      log.debug({ records: records.length, alerts: alerts.length, offsets }, 'flushed');
    },
    async close() {
      await producer?.disconnect().catch(() => undefined);
    },
  };
  return flush;
}
