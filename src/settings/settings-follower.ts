/**
 * Every processor instance follows pipeline.config (from the beginning, in a group of its
 * own) and applies each setting to its MutableRuntimeSettings as it arrives: a threshold or a
 * budget changed with `enricher config set` takes effect without a restart. A record that
 * fails validation is logged and ignored; the setting keeps its previous value.
 */
import type { Config } from '../config.ts';
import type { KafkaClient } from '../kafka/client.ts';
import type { Logger } from '../observability/logger.ts';
import type { MutableRuntimeSettings } from './runtime-settings.ts';
import { decodeSettingRecord, settingName } from './setting-values.ts';
import { createTopicFollower, readerGroupId, type FollowedRecord } from '../kafka/topic-reader.ts';

export interface SettingsFollower {
  /** Resolves once the stored settings are applied (or after the timeout, with a warning). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createSettingsFollower(deps: {
  kafka: KafkaClient;
  config: Pick<Config, 'topics' | 'kafka' | 'processing' | 'budget'>;
  settings: MutableRuntimeSettings;
  logger: Logger;
  catchUpTimeoutMs?: number;
}): SettingsFollower {
  const { config, settings, logger } = deps;
  const topic = config.topics.config;
  // A tombstone removes the override: the environment's value applies again.
  const envValue = { quality_threshold: config.processing.qualityThreshold, daily_budget_usd: config.budget.dailyUsd };

  function apply(r: FollowedRecord): void {
    try {
      const { name, value } = r.value === null ? { name: settingName(r.key ?? ''), value: undefined } : decodeSettingRecord(r.key, r.value);
      const next = value === undefined ? envValue[name] : (value ?? undefined);
      const previous = name === 'quality_threshold' ? settings.qualityThreshold() : settings.dailyBudgetUsd();
      if (previous === next) return;
      settings.set(name, next);
      logger.info({ setting: name, value: next ?? null, previous: previous ?? null, source: value === undefined ? 'environment (override removed)' : topic }, 'runtime setting applied');
    } catch (e) {
      logger.warn({ topic, key: r.key, offset: r.offset, err: (e as Error).message }, 'ignoring an invalid runtime setting record');
    }
  }

  const follower = createTopicFollower({
    kafka: deps.kafka, topic, groupId: readerGroupId(`${config.kafka.groupId}.config`, config.kafka.instanceId),
    logger, onRecord: apply, deleteGroupOnStop: true,
  });
  return {
    async start() {
      await follower.start(deps.catchUpTimeoutMs ?? 15_000);
    },
    stop: () => follower.stop(),
  };
}
