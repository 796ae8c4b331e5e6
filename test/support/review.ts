/**
 * Review-console test helpers: review items shaped like the quality gate's, written to the real
 * review topic; a users file with real scrypt hashes; a console in this process; and readers of
 * the output topics.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../src/config.ts';
import { Headers, type ReviewItem, type ReviewReason } from '../../src/contracts/index.ts';
import type { KafkaClient } from '../../src/kafka/client.ts';
import { hashPassword } from '../../src/review/auth/passwords.ts';
import { createReviewConsole, type ReviewConsole } from '../../src/processes/review-console.ts';
import { launchBrowser } from './browser.ts';
import { sampleCorpus } from './docs.ts';
import { connectTestKafka, jsonValue, readTopics, testConfig, type ReadRecord, type TestKafka } from './kafka.ts';
import { testLogger } from './logger.ts';
import { mulberry32 } from './random.ts';
import { sleep } from './time.ts';

export const PASSWORDS = { alice: 'alice-password-123', bob: 'bob-password-4567', victor: 'victor-viewer-890' } as const;

/** alice and bob review, victor only looks. */
export function writeUsersFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'review-users-'));
  const path = join(dir, 'users.json');
  writeFileSync(path, JSON.stringify({
    users: {
      alice: { role: 'reviewer', password_hash: hashPassword(PASSWORDS.alice) },
      bob: { role: 'reviewer', password_hash: hashPassword(PASSWORDS.bob) },
      victor: { role: 'viewer', password_hash: hashPassword(PASSWORDS.victor) },
    },
  }));
  return path;
}

export const SESSION_SECRET = 'test-session-secret-0123456789abcdef';

/** Settings a console under test needs besides testConfig's topic names. */
export function reviewEnv(usersFile: string, extra: Record<string, string> = {}): Record<string, string> {
  return { REVIEW_PORT: '0', REVIEW_USERS_FILE: usersFile, REVIEW_SESSION_SECRET: SESSION_SECRET, ...extra };
}

const CATEGORIES = ['business', 'finance', 'technology', 'science', 'health', 'sport', 'politics', 'legal', 'other'];

/** A review item made from a corpus document, with scores that put `category` first at `confidence`. */
export function reviewItem(id: string, opts: { category?: string; confidence?: number; reasons?: ReviewReason['code'][]; title?: string; content?: string; model?: string; entities?: Partial<ReviewItem['entities']>; seed?: number } = {}): ReviewItem {
  const rnd = mulberry32(opts.seed ?? [...id].reduce((a, c) => a * 31 + c.charCodeAt(0), 7));
  const corpus = sampleCorpus();
  const base = corpus[Math.floor(rnd() * corpus.length)]!;
  const category = opts.category ?? CATEGORIES[Math.floor(rnd() * 8)]!;
  const confidence = opts.confidence ?? Math.round((0.2 + rnd() * 0.55) * 1000) / 1000;
  const scores: Record<string, number> = {};
  let rest = 1 - confidence;
  for (const c of CATEGORIES) {
    if (c === category) continue;
    const s = Math.min(rest, Math.round(rnd() * Math.min(confidence, rest) * 1000) / 1000);
    scores[c] = s;
    rest -= s;
  }
  scores[category] = confidence;
  const content = opts.content ?? base.content;
  const words = content.match(/\b[A-Z][a-z]+(?: [A-Z][a-z]+)?/g) ?? [];
  const reasons = (opts.reasons ?? ['LOW_CONFIDENCE']).map((code) => ({ code, message: code === 'LOW_CONFIDENCE' ? `confidence ${confidence.toFixed(3)} is below the threshold 0.8` : `${code} (test)` }));
  return {
    document_id: id,
    title: opts.title ?? base.title,
    source: 'test',
    original_content: content,
    entities: { people: words.slice(0, 2), organizations: words.slice(2, 4), dates: [], topics: [category], ...opts.entities },
    summary: content.split('. ')[0]!.slice(0, 300),
    classification: { category, confidence, scores },
    usage: { calls: 3, cached_calls: 0, input_tokens: 700, output_tokens: 240, cost_usd: 0.000249 },
    model: opts.model ?? 'gpt-4o-mini',
    provider: 'offline',
    offline: true,
    partial: false,
    prompt_version: '2026-11-25.1',
    enriched_at: new Date().toISOString(),
    review_reasons: reasons,
    threshold: 0.8,
  };
}

export async function produceReviewItems(kafka: KafkaClient, config: Config, items: ReviewItem[], runId?: string, extraHeaders?: (item: ReviewItem) => Record<string, string>): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({
      topic: config.topics.review,
      acks: -1,
      messages: items.map((it) => ({ key: it.document_id, value: JSON.stringify(it), headers: { [Headers.route]: 'review', ...(runId ? { [Headers.runId]: runId } : {}), ...extraHeaders?.(it) } })),
    });
  } finally {
    await producer.disconnect();
  }
}

export async function startConsole(config: Config): Promise<{ console: ReviewConsole; url: string }> {
  const console = createReviewConsole(config, testLogger());
  const { url } = await console.start();
  return { console, url };
}

export interface ConsoleFixture {
  config: Config;
  tk: TestKafka;
  outputs: OutputCollector;
  console: ReviewConsole;
  url: string;
  browser: Browser;
  close(): Promise<void>;
}

/**
 * A browser test file's world: fresh topics, a reader of the outputs, whatever `seed` writes
 * first (review items, a processor run), a console in this process and one browser.
 */
export async function openConsoleFixture(env: Record<string, string>, seed: (tk: TestKafka, config: Config) => Promise<void>): Promise<ConsoleFixture> {
  const config = testConfig(reviewEnv(writeUsersFile(), env));
  const tk = await connectTestKafka(config);
  await tk.createTopics(config);
  const outputs = await collectOutputs(tk.kafka, config);
  await seed(tk, config);
  const { console, url } = await startConsole(config);
  const browser = await launchBrowser();
  return {
    config, tk, outputs, console, url, browser,
    async close() {
      await browser.close();
      await console.stop();
      await outputs.stop();
      await tk.cleanup();
    },
  };
}

/** Everything on the output topics and the decisions topic now (read_committed), once at least `minCount` records are there. */
export async function readOutputs(kafka: KafkaClient, config: Config, opts: { until?: (r: ReadRecord[]) => boolean; timeoutMs?: number; quietMs?: number } = {}) {
  const records = await readTopics(kafka, [config.topics.enriched, config.topics.rejected, config.topics.reviewDecisions], { quietMs: 1500, timeoutMs: 60_000, ...opts });
  const on = (t: string) => records.filter((r) => r.topic === t);
  return { enriched: on(config.topics.enriched), rejected: on(config.topics.rejected), decisions: on(config.topics.reviewDecisions) };
}

export interface OutputCollector {
  /** Records read so far (read_committed), in arrival order, with the time each arrived. */
  records: (ReadRecord & { arrivedAt: number })[];
  on(topic: string): (ReadRecord & { arrivedAt: number })[];
  /** Waits until `test` holds for the records, or fails after the timeout. */
  waitFor(test: (c: OutputCollector) => boolean, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** A read_committed reader of the output and decisions topics that runs for a whole test file. */
export async function collectOutputs(kafka: KafkaClient, config: Config): Promise<OutputCollector> {
  const consumer = kafka.consumer({ groupId: `collector-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`, readUncommitted: false, maxWaitTimeInMs: 50 });
  const c: OutputCollector = {
    records: [],
    on: (topic) => c.records.filter((r) => r.topic === topic),
    async waitFor(test, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!test(c)) {
        if (Date.now() > deadline) throw new Error(`outputs did not arrive in ${timeoutMs} ms (have ${c.records.length} records)`);
        await sleep(25);
      }
    },
    stop: () => consumer.disconnect(),
  };
  await consumer.connect();
  for (const topic of [config.topics.enriched, config.topics.rejected, config.topics.reviewDecisions]) await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = String(v);
      c.records.push({ topic, partition, offset: message.offset, timestamp: Number(message.timestamp), key: message.key?.toString('utf8') ?? null, value: message.value, headers, arrivedAt: Date.now() });
    },
  });
  return c;
}

/** How many times each key occurs. */
export function countKeys(records: ReadRecord[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of records) m.set(r.key ?? '', (m.get(r.key ?? '') ?? 0) + 1);
  return m;
}

export { jsonValue };
