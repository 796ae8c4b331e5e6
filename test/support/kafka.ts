/**
 * Helpers for tests against the real broker: fresh random topic and group names per test,
 * and cleanup hooks that delete what a test created.
 */
import { randomBytes } from 'node:crypto';
import { onTestFinished } from 'vitest';
import type { Admin, KafkaMessage, Message } from 'kafkajs';
import { loadConfig, type Config } from '../../src/config.ts';
import { kafkaConnectionEnv } from '../../src/processes/clients.ts';
import { createKafka, type KafkaClient } from '../../src/kafka/client.ts';
import { headerString } from '../../src/kafka/serde.ts';
import { ensureTopics, topicSpecs } from '../../src/kafka/topics.ts';
import { jsonPayload } from '../../src/kafka/serde.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { sleep } from './time.ts';

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
    TOPIC_ALERTS: `${p}.alerts`,
    TOPIC_REJECTED: `${p}.rejected`,
    TOPIC_REVIEW_DECISIONS: `${p}.review-decisions`,
    TOPIC_SHADOW: `${p}.shadow`,
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

/** Sends with an idempotent producer of its own, in batches of `batch`, and disconnects it. */
export async function sendMessages(kafka: KafkaClient, topic: string, messages: Message[], batch = 200): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += batch) await producer.send({ topic, messages: messages.slice(i, i + batch) });
  } finally {
    await producer.disconnect();
  }
}

/** connectTestKafka with the config's topics created, all deleted when the test ends. */
export async function openTestKafka(config: Config): Promise<TestKafka> {
  const tk = await connectTestKafka(config);
  onTestFinished(() => tk.cleanup());
  await tk.createTopics(config);
  return tk;
}

/** Where every document ends up: enriched, review and the DLQ. */
export function outputTopics(config: Config): string[] {
  return [config.topics.enriched, config.topics.review, config.topics.dlq];
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
  for (const k of Object.keys(m.headers ?? {})) {
    const v = headerString(m.headers, k);
    if (v !== undefined) headers[k] = v;
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
      await sleep(100);
    }
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** A record's JSON value, plain or in the schema registry's wire format (the 5-byte header skipped). */
export function jsonValue<T = Record<string, unknown>>(r: ReadRecord): T {
  return JSON.parse(jsonPayload(r.value!).toString('utf8')) as T;
}


/** Waits until the group is stable with n members that each own partitions (child processors have joined). */
export async function waitForGroupMembers(admin: Admin, groupId: string, n: number, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { groups } = await admin.describeGroups([groupId]);
    const g = groups[0];
    if (g && g.state === 'Stable' && g.members.length === n && g.members.every((m) => m.memberAssignment.length > 0)) return;
    if (Date.now() > deadline) throw new Error(`group never had ${n} stable members (last: ${g?.state}, ${g?.members.length})`);
    await sleep(250);
  }
}
