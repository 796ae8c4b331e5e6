/** Every topic this service owns, with the settings each needs, and creation of the missing ones. */
import type { Admin, ITopicConfig } from 'kafkajs';
import type { Config } from '../config.ts';
import { formatDuration } from '../util/duration.ts';
import { sleep } from '../util/sleep.ts';

export function retryTopicName(prefix: string, delayMs: number): string {
  return `${prefix}.${formatDuration(delayMs)}`;
}

export function retryTopics(config: Pick<Config, 'topics' | 'retry'>): { topic: string; delayMs: number }[] {
  return config.retry.delaysMs.map((delayMs) => ({ topic: retryTopicName(config.topics.retryPrefix, delayMs), delayMs }));
}

export function redriveMarkerTopic(dlqTopic: string): string {
  return `${dlqTopic}.redriven`;
}

export function topicSpecs(config: Pick<Config, 'topics' | 'retry'>): ITopicConfig[] {
  const t = config.topics;
  // On every topic when set, not left to the broker's default: our writes are acks=all, so with
  // replication 3 and min ISR 2 a committed write is on at least two brokers, and losing one
  // broker loses no commit while the two left go on taking writes.
  const isr = t.minInsyncReplicas === undefined ? [] : [{ name: 'min.insync.replicas', value: String(t.minInsyncReplicas) }];
  const base = { numPartitions: t.partitions, replicationFactor: t.replicationFactor, configEntries: isr };
  // Documents may be large (the DLQ must take whatever raw took): allow up to 16 MiB records
  // even on brokers whose default is 1 MB.
  const big = { ...base, configEntries: [...isr, { name: 'max.message.bytes', value: String(16 * 1024 * 1024) }] };
  const compacted = { ...base, configEntries: [...isr, { name: 'cleanup.policy', value: 'compact' }] };
  return [
    { topic: t.raw, ...big },
    { topic: t.enriched, ...big },
    { topic: t.review, ...big },
    // The DLQ keeps what could not be processed until a person redrives it: never delete by age.
    { topic: t.dlq, ...big, configEntries: [...big.configEntries, { name: 'retention.ms', value: '-1' }] },
    // One compacted marker per redriven DLQ record, so a record is redriven at most once.
    { topic: redriveMarkerTopic(t.dlq), ...compacted, numPartitions: 1 },
    ...retryTopics(config).map((r) => ({ topic: r.topic, ...big })),
    { topic: t.costEvents, ...base },
    { topic: t.costsDaily, ...compacted, numPartitions: 1 },
    { topic: t.budgetAlerts, ...base, numPartitions: 1 },
    { topic: t.config, ...compacted, numPartitions: 1 },
    { topic: t.alerts, ...base, numPartitions: 1 },
    // The review console's outputs: documents a person refused, and every decision, latest per
    // document (written in the same transaction as the output it caused).
    { topic: t.rejected, ...big },
    { topic: t.reviewDecisions, ...compacted },
  ];
}

/** Creates one of this service's topics, with its settings, if it is missing: for commands that write to one. */
export async function ensureTopic(kafka: { admin(): Admin }, config: Pick<Config, 'topics' | 'retry'>, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, topicSpecs(config).filter((s) => s.topic === topic));
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
