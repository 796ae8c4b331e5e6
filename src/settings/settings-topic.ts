/**
 * Writing and reading the runtime settings on the compacted pipeline.config topic, for the
 * CLI (`enricher config set|unset|get`, `enricher costs`). Running processors follow the
 * topic with settings-follower.ts.
 */
import { hostname } from 'node:os';
import type { Config } from '../config.ts';
import type { ConfigRecord, SettingName } from '../contracts/index.ts';
import { plainJson, type ValueEncoder } from '../kafka/serde.ts';
import type { KafkaClient } from '../kafka/client.ts';
import { ensureTopicsOf } from '../kafka/topics.ts';
import type { Logger } from '../observability/logger.ts';
import { decodeSettingRecord, parseSettingInput, settingName } from './setting-values.ts';
import { readTopicOnce } from '../kafka/topic-reader.ts';

type TopicConfig = Pick<Config, 'topics' | 'retry' | 'kafka'>;



async function send(kafka: KafkaClient, topic: string, key: string, value: Buffer | null): Promise<void> {
  // One record, acks from all replicas: an idempotent producer adds nothing to a single send.
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ key, value }] });
  } finally {
    await producer.disconnect();
  }
}

/** `enricher config set <name> <value>`: validates, then writes. Throws ConfigError on a bad value. */
export async function storeSetting(kafka: KafkaClient, config: TopicConfig, nameInput: string, valueInput: string, encode: ValueEncoder = plainJson): Promise<ConfigRecord> {
  const { name, value } = parseSettingInput(nameInput, valueInput);
  const record: ConfigRecord = { name, value, updated_at: new Date().toISOString(), updated_by: `enricher-cli@${hostname()}` };
  await ensureTopicsOf(kafka, config, 'config set, unset');
  await send(kafka, config.topics.config, name, encode(config.topics.config, record));
  return record;
}

/** `enricher config unset <name>`: a tombstone, so the environment's value applies again. */
export async function unsetStoredSetting(kafka: KafkaClient, config: TopicConfig, nameInput: string): Promise<SettingName> {
  const name = settingName(nameInput);
  await ensureTopicsOf(kafka, config, 'config set, unset');
  await send(kafka, config.topics.config, name, null);
  return name;
}

export interface StoredSetting {
  value: number | null;
  offset: string;
}

/** The overrides on pipeline.config now (latest record per key; tombstones and bad records dropped). */
export async function readStoredSettings(kafka: KafkaClient, config: TopicConfig, logger: Logger): Promise<Map<SettingName, StoredSetting>> {
  const out = new Map<SettingName, StoredSetting>();
  await ensureTopicsOf(kafka, config, 'config get');
  await readTopicOnce({
    kafka, topic: config.topics.config, groupBase: `${config.kafka.groupId}.config-cli`, logger,
    onRecord: (r) => {
      try {
        if (r.value === null) {
          out.delete(settingName(r.key ?? ''));
          return;
        }
        const s = decodeSettingRecord(r.key, r.value);
        out.set(s.name, { value: s.value, offset: r.offset });
      } catch (e) {
        logger.warn({ topic: config.topics.config, key: r.key, offset: r.offset, err: (e as Error).message }, 'ignoring an invalid runtime setting record');
      }
    },
  });
  return out;
}

/** The effective value of each setting: pipeline.config's when it holds one, else the environment's. */
export function effectiveSettings(config: Pick<Config, 'processing' | 'budget'>, stored: Map<SettingName, StoredSetting>) {
  const threshold = stored.get('quality_threshold');
  const budget = stored.get('daily_budget_usd');
  return {
    quality_threshold: { value: threshold?.value ?? config.processing.qualityThreshold, source: threshold ? 'pipeline.config' : 'environment' },
    daily_budget_usd: { value: budget ? budget.value : (config.budget.dailyUsd ?? null), source: budget ? 'pipeline.config' : 'environment' },
  } as const;
}
