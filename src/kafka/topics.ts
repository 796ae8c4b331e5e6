/**
 * The topics of the catalogue (topics/catalogue.ts) by their configured names: their specs, the
 * ones each command uses, and creation of the missing ones.
 */
import type { Admin, ITopicConfig } from 'kafkajs';
import type { Config } from '../config.ts';
import { formatDuration } from '../util/duration.ts';
import { sleep } from '../util/sleep.ts';
import { CATALOGUE, type Catalogue, type Command, type TopicEntry, type TopicShape } from '../topics/catalogue.ts';

export function retryTopicName(prefix: string, delayMs: number): string {
  return `${prefix}.${formatDuration(delayMs)}`;
}

type TopicNames = Pick<Config, 'topics' | 'retry'>;

/** The topic names of one catalogue entry: one, one per retry tier, or one named after another. */
export function topicNames(config: TopicNames, id: string, catalogue: Catalogue = CATALOGUE): string[] {
  const e = catalogue[id];
  if (!e) throw new Error(`no topic ${id} in the catalogue`);
  if (e.namedAfter) return topicNames(config, e.namedAfter.topic, catalogue).map((n) => `${n}${e.namedAfter!.suffix}`);
  const name = (config.topics as unknown as Record<string, string | undefined>)[id];
  if (name === undefined) throw new Error(`the config names no topic ${id} (its setting ${e.setting?.env ?? '?'})`);
  return e.perRetryTier ? config.retry.delaysMs.map((d) => retryTopicName(name, d)) : [name];
}

export function retryTopics(config: TopicNames): { topic: string; delayMs: number }[] {
  return config.retry.delaysMs.map((delayMs) => ({ topic: retryTopicName(config.topics.retryPrefix, delayMs), delayMs }));
}

export function redriveMarkerTopic(config: TopicNames): string {
  return topicNames(config, 'redriven')[0]!;
}

/** Every topic of the catalogue by name, with its entry: what the derivations below walk. */
export function namedTopics(config: TopicNames, catalogue: Catalogue = CATALOGUE): { id: string; name: string; entry: TopicEntry }[] {
  return Object.entries(catalogue).flatMap(([id, entry]) => topicNames(config, id, catalogue).map((name) => ({ id, name, entry })));
}

export function topicSpecs(config: TopicNames, catalogue: Catalogue = CATALOGUE): ITopicConfig[] {
  const t = config.topics;
  // On every topic when set, not left to the broker's default: our writes are acks=all, so with
  // replication 3 and min ISR 2 a committed write is on at least two brokers, and losing one
  // broker loses no commit while the two left go on taking writes.
  const isr = t.minInsyncReplicas === undefined ? [] : [{ name: 'min.insync.replicas', value: String(t.minInsyncReplicas) }];
  // Documents may be large (the DLQ must take whatever raw took): up to 16 MiB records even on
  // brokers whose default is 1 MB. The DLQ keeps what could not be processed until a person
  // redrives it: never deleted by age.
  const byShape: Record<TopicShape, { name: string; value: string }[]> = {
    documents: [{ name: 'max.message.bytes', value: String(16 * 1024 * 1024) }],
    'dead-letters': [{ name: 'max.message.bytes', value: String(16 * 1024 * 1024) }, { name: 'retention.ms', value: '-1' }],
    events: [],
    compacted: [{ name: 'cleanup.policy', value: 'compact' }],
  };
  return namedTopics(config, catalogue).map(({ name, entry }) => ({
    topic: name,
    numPartitions: entry.partitions === 'configured' ? t.partitions : entry.partitions,
    replicationFactor: t.replicationFactor,
    configEntries: [...isr, ...byShape[entry.shape]],
  }));
}

/** The topics a command uses: what it creates when they are missing, and what its rights cover. */
export function topicsOf(config: TopicNames, command: Command, catalogue: Catalogue = CATALOGUE): string[] {
  return namedTopics(config, catalogue).filter((t) => t.entry.access[command] !== undefined).map((t) => t.name);
}

/** Creates the missing topics a command uses, with their settings. Returns the names it created. */
export async function ensureTopicsOf(kafka: { admin(): Admin }, config: TopicNames, command: Command): Promise<string[]> {
  const wanted = new Set(topicsOf(config, command));
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await ensureTopics(admin, topicSpecs(config).filter((s) => wanted.has(s.topic)));
  } finally {
    await admin.disconnect();
  }
}

/** Creates the topics that do not exist yet. Returns the names it created. */
export async function ensureTopics(admin: Admin, specs: ITopicConfig[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length === 0) return [];
  try {
    // KafkaJS's own waitForLeaders gives up on UNKNOWN_TOPIC_OR_PARTITION, which KRaft brokers
    // answer for a moment after creation; waitForLeadership below polls through that instead.
    await admin.createTopics({ topics: missing, waitForLeaders: false });
  } catch (e) {
    // Another instance may have created them between our list and create: that is fine.
    const still = new Set(await admin.listTopics());
    if (missing.some((s) => !still.has(s.topic))) throw e;
  }
  await waitForLeadership(admin, missing.map((s) => s.topic));
  return missing.map((s) => s.topic);
}

export async function waitForLeadership(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const md = await admin.fetchTopicMetadata({ topics });
      if (md.topics.length === topics.length && md.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
    }
    if (Date.now() > deadline) throw new Error(`topics have no leaders after ${timeoutMs} ms: ${topics.join(', ')}`);
    await sleep(100);
  }
}
