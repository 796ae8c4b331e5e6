/**
 * A processor's read-only view of llm.costs.daily: the aggregator's latest totals for the
 * recent days, followed live (a group per instance, from the beginning, read_committed).
 */
import { DailyCost } from '../contracts/index.ts';
import type { KafkaClient } from '../kafka/client.ts';
import { decodeJson } from '../kafka/serde.ts';
import type { Logger } from '../observability/logger.ts';
import { createTopicFollower, readerGroupId } from '../kafka/topic-reader.ts';
import { daySpend } from './daily-totals.ts';
import type { Pico } from './money.ts';

export interface DailyCostView {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The aggregated spend of a day over all models, the part of it one instance made, and the part shadow candidates made. */
  spend(day: string, instanceId: string): { total: Pico; instance: Pico; shadow: Pico };
  onChange(listener: () => void): void;
}

/** Older days cannot change what a processor may spend today. */
const KEEP_DAYS = 2;

export function createDailyCostView(deps: { kafka: KafkaClient; topic: string; groupBase: string; instanceId: string; logger: Logger; now?: () => Date }): DailyCostView {
  const now = deps.now ?? (() => new Date());
  const records = new Map<string, DailyCost>();
  const listeners: (() => void)[] = [];
  const oldest = () => new Date(now().getTime() - KEEP_DAYS * 86_400_000).toISOString().slice(0, 10);

  const follower = createTopicFollower({
    kafka: deps.kafka,
    topic: deps.topic,
    groupId: readerGroupId(`${deps.groupBase}.costs-view`, deps.instanceId),
    logger: deps.logger,
    deleteGroupOnStop: true,
    onRecord: (r) => {
      if (r.key === null) return;
      if (r.value === null) records.delete(r.key);
      else {
        try {
          const d = decodeJson(r.value, DailyCost, 'decode', 'daily cost record');
          if (d.day >= oldest()) records.set(r.key, d);
        } catch (e) {
          deps.logger.warn({ topic: deps.topic, key: r.key, err: (e as Error).message }, 'ignoring an unreadable daily cost record');
          return;
        }
      }
      for (const l of listeners) l();
    },
  });

  return {
    async start() {
      await follower.start(15_000);
    },
    stop: () => follower.stop(),
    spend: (day, instanceId) => daySpend(records.values(), day, instanceId),
    onChange(listener) {
      listeners.push(listener);
    },
  };
}
