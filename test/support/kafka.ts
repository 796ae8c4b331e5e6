/**
 * Helpers for tests against the real broker: fresh random topic and group names per test,
 * and cleanup hooks that delete what a test created.
 */
import { randomBytes } from 'node:crypto';
import type { Admin, KafkaMessage } from 'kafkajs';
import { kafkaConnectionEnv, loadConfig, type Config } from '../../src/config.ts';
import { createKafka, type KafkaClient } from '../../src/kafka/client.ts';
import { ensureTopics, topicSpecs } from '../../src/kafka/topics.ts';
import { silentLogger } from '../../src/observability/logger.ts';

export function randomName(prefix = 't'): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** A Config whose topic and group names are unique to this test; env overrides win. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig(testEnv(env));
}

/** The environment behind testConfig: also what child processes of a test are started with. */
export function testEnv(env: Record<string, string> = {}): Record<string, string> {
  const p = randomName('it');
  return {
    // A run against a secured cluster sets its connection variables once: every test client gets them.
    ...kafkaConnectionEnv(process.env),
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
    KAFKA_GROUP_ID: `${p}-group`,
    TOPIC_RAW: `${p}.raw`,
    TOPIC_ENRICHED: `${p}.enriched`,
    TOPIC_REVIEW: `${p}.review`,
    TOPIC_DLQ: `${p}.dlq`,
    TOPIC_RETRY_PREFIX: `${p}.retry`,
    TOPIC_COST_EVENTS: `${p}.cost-events`,
    TOPIC_COSTS_DAILY: `${p}.costs-daily`,
    TOPIC_BUDGET_ALERTS: `${p}.budget-alerts`,
    TOPIC_CONFIG: `${p}.config`,
    TOPIC_PARTITIONS: '3',
    LLM_PROVIDER: 'offline',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    FLUSH_INTERVAL: '50ms',
    ...env,
  };
}

export interface TestKafka {
  kafka: KafkaClient;
  admin: Admin;
  /** Creates every topic of the config; they are deleted by cleanup(). */
  createTopics(config: Config): Promise<void>;
  cleanup(): Promise<void>;
}

export async function connectTestKafka(config: Config): Promise<TestKafka> {
  const kafka = createKafka(config, silentLogger(), '-test');
  const admin = kafka.admin();
  await admin.connect();
  const created: string[] = [];
  return {
    kafka,
    admin,
    async createTopics(c: Config) {
      const specs = topicSpecs(c);
      await ensureTopics(admin, specs);
      created.push(...specs.map((s) => s.topic));
    },
    async cleanup() {
      try {
        if (created.length) await admin.deleteTopics({ topics: created, timeout: 10_000 });
      } catch {
        // A topic deleted twice or a slow controller must not fail the test that passed.
      }
      await admin.disconnect();
    },
  };
}

export interface ReadRecord {
  topic: string;
  partition: number;
  offset: string;
  /** The record's Kafka timestamp (ms since epoch): when it was produced. */
  timestamp: number;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

function toRecord(topic: string, partition: number, m: KafkaMessage): ReadRecord {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) {
    if (v !== undefined) headers[k] = Array.isArray(v) ? String(v[v.length - 1]) : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  }
  return { topic, partition, offset: m.offset, timestamp: Number(m.timestamp), key: m.key?.toString('utf8') ?? null, value: m.value, headers };
}

/**
 * Reads topics from the beginning with read_committed until `until` says enough (or the
 * quiet period passes with no new record once at least minCount arrived), or the timeout.
 */
export async function readTopics(
  kafka: KafkaClient,
  topics: string[],
  opts: { until?: (records: ReadRecord[]) => boolean; minCount?: number; timeoutMs?: number; quietMs?: number } = {},
): Promise<ReadRecord[]> {
  const consumer = kafka.consumer({ groupId: randomName('reader'), readUncommitted: false, sessionTimeout: 10_000 });
  await consumer.connect();
  for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
  const records: ReadRecord[] = [];
  let last = Date.now();
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      records.push(toRecord(topic, partition, message));
      last = Date.now();
    },
  });
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  const quiet = opts.quietMs ?? 1500;
  try {
    for (;;) {
      if (opts.until?.(records)) break;
      if (!opts.until && records.length >= (opts.minCount ?? 0) && Date.now() - last > quiet) break;
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await consumer.disconnect();
  }
  return records;
}

export function jsonValue<T = Record<string, unknown>>(r: ReadRecord): T {
  return JSON.parse(r.value!.toString('utf8')) as T;
}
