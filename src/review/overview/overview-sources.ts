/**
 * The overview's numbers, all from Kafka: consumer lag of the processors' group on
 * documents.raw (admin offsets), documents per minute by route (the output topics' record
 * timestamps over the last half hour), today's spend (llm.costs.daily, through the costs
 * room's view) against the budget (pipeline.config, else DAILY_BUDGET_USD), and the DLQ by
 * error code (its x-error-code headers).
 */
import type { Config } from '../../config.ts';
import { Headers } from '../../contracts/index.ts';
import { createDailyCostView } from '../../costs/daily-cost-view.ts';
import { picoToUsd } from '../../costs/money.ts';
import { utcDay } from '../../costs/daily-totals.ts';
import type { KafkaClient } from '../../kafka/client.ts';
import { headerString } from '../../kafka/serde.ts';
import { groupLag } from '../../kafka/group-lag.ts';
import { createTopicFollower, readerGroupId, type TopicFollower } from '../../kafka/topic-reader.ts';
import type { Logger } from '../../observability/logger.ts';
import type { RuntimeSettings } from '../../settings/runtime-settings.ts';
import { createRouteRates, type RouteName } from './route-rates.ts';
import type { Column } from '../views/charts.ts';

export interface PartitionLag {
  partition: number;
  committed: string | undefined;
  high: string;
  lag: number;
}

export interface OverviewSnapshot {
  lag: PartitionLag[] | { error: string };
  group: string;
  rates: Column[];
  perMinute: Record<RouteName, number>;
  spendUsd: number;
  budgetUsd: number | undefined;
  day: string;
  dlqByCode: { code: string; count: number }[];
}

export interface OverviewSources {
  start(): Promise<void>;
  snapshot(): Promise<OverviewSnapshot>;
  stop(): Promise<void>;
}

const WINDOW_MINUTES = 30;

export function createOverviewSources(deps: { kafka: KafkaClient; config: Config; settings: RuntimeSettings; logger: Logger; groupBase: string }): OverviewSources {
  const { kafka, config, logger } = deps;
  const rates = createRouteRates(WINDOW_MINUTES);
  const dlqCodes = new Map<string, number>();
  const group = (purpose: string) => readerGroupId(`${deps.groupBase}.${purpose}`, config.kafka.instanceId);
  const costs = createDailyCostView({ kafka, topic: config.topics.costsDaily, groupBase: deps.groupBase, instanceId: config.kafka.instanceId, logger });
  const followers: TopicFollower[] = [];
  let lagCache: { at: number; value: OverviewSnapshot['lag'] } | undefined;

  /** Each partition's offset at the start of the window: older records cannot be in the chart. */
  async function windowStart(topic: string): Promise<Map<number, bigint>> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsetsByTimestamp(topic, Date.now() - WINDOW_MINUTES * 60_000);
      return new Map(offsets.map((o) => [o.partition, BigInt(o.offset)]));
    } finally {
      await admin.disconnect();
    }
  }

  async function lag(): Promise<OverviewSnapshot['lag']> {
    if (lagCache && Date.now() - lagCache.at < 2000) return lagCache.value;
    const admin = kafka.admin();
    let value: OverviewSnapshot['lag'];
    try {
      await admin.connect();
      value = (await groupLag(admin, config.kafka.groupId, config.topics.raw)).map(({ partition, committed, high, lag }) => ({ partition, committed, high, lag }));
    } catch (e) {
      value = { error: (e as Error).message };
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    lagCache = { at: Date.now(), value };
    return value;
  }

  return {
    async start() {
      const follow = async (route: RouteName, topic: string, all: boolean) => {
        const f = createTopicFollower({
          kafka, topic, groupId: group(`overview-${route}`), logger, deleteGroupOnStop: true,
          ...(all ? {} : { from: await windowStart(topic) }),
          onRecord: (r) => {
            rates.add(route, Number(r.message.timestamp));
            if (route === 'dlq') {
              const code = headerString(r.message.headers as Record<string, unknown>, Headers.errorCode) ?? '(no code)';
              dlqCodes.set(code, (dlqCodes.get(code) ?? 0) + 1);
            }
          },
        });
        followers.push(f);
        await f.start(30_000);
      };
      // The DLQ is read whole (its counts by code are of everything on it); the others from the window's start.
      await Promise.all([
        follow('enriched', config.topics.enriched, false), follow('review', config.topics.review, false), follow('dlq', config.topics.dlq, true), costs.start(),
      ]);
    },
    async snapshot() {
      const now = Date.now();
      const day = utcDay(new Date(now));
      return {
        lag: await lag(),
        group: config.kafka.groupId,
        rates: rates.columns(now),
        perMinute: rates.perMinute(now, 5),
        spendUsd: picoToUsd(costs.spend(day, config.kafka.instanceId).total),
        budgetUsd: deps.settings.dailyBudgetUsd(),
        day,
        dlqByCode: [...dlqCodes].map(([code, count]) => ({ code, count })).sort((a, b) => b.count - a.count || a.code.localeCompare(b.code)),
      };
    },
    async stop() {
      await Promise.all([...followers.map((f) => f.stop()), costs.stop()]);
    },
  };
}
