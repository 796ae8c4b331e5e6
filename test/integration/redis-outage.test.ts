/**
 * Issue 17, as an operator met it: two real processors (`node src/cli/main.ts start`) share the
 * LLM pool and result cache on a Redis of the test's own; 600 documents on 4 partitions; mid-run
 * Redis is stopped for 20 s and started again EMPTY. The local OpenAI-compatible server counts
 * the calls in flight.
 *
 *   REDIS_OUTAGE=pause: no document in the DLQ, each exactly once, no call started while Redis
 *                       was away, never more than the pool's 5 calls in flight, and the pool's
 *                       keys re-created without a restart.
 *   REDIS_OUTAGE=local: the same outcome; calls go on during the outage in each instance's own
 *                       pool (up to 2 × 5), with a warning at the switch and at the switch back.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startFakeOpenAiServer, type FakeOpenAiServer } from '../support/fake-openai-server.ts';
import { corpusDocs, toMessage } from '../support/docs.ts';
import { connectTestKafka, readTopics, testEnv, waitForGroupMembers, type ReadRecord, type TestKafka } from '../support/kafka.ts';
import { spawnCli, type Child } from '../support/processes.ts';
import { ownRedis, type OwnRedis } from '../support/redis-server.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const DOCS = 600;
const SLOTS = 5;
const OUTAGE_MS = 20_000;

let tk: TestKafka | undefined;
let server: FakeOpenAiServer | undefined;
let redis: OwnRedis | undefined;
let children: Child[] = [];
afterEach(async () => {
  await Promise.all(children.map((c) => c.kill('SIGKILL')));
  children = [];
  await redis?.stop();
  await tk?.cleanup();
  await server?.close();
  tk = undefined;
  server = undefined;
  redis = undefined;
});

interface LogLine { level: string; msg: string }
const logLines = (c: Child): LogLine[] =>
  readFileSync(c.logFile, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);

async function runOutage(mode: 'pause' | 'local', port: number) {
  server = await startFakeOpenAiServer({ latencyMs: 30 });
  redis = ownRedis(port);
  await redis.start();
  const env = testEnv({
    TOPIC_PARTITIONS: '4',
    LLM_PROVIDER: 'openai',
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: server.url,
    LLM_POOL_SLOTS: String(SLOTS),
    REDIS_URL: redis.url,
    REDIS_OUTAGE: mode,
    LLM_TIMEOUT: '10s',
    KAFKA_SESSION_TIMEOUT: '10s',
    KAFKA_HEARTBEAT_INTERVAL: '1s',
    SHUTDOWN_TIMEOUT: '5s',
    LOG_LEVEL: 'info',
  });
  const config = loadConfig(env);
  tk = await connectTestKafka(config);
  await tk.createTopics(config);
  children = ['outage-a', 'outage-b'].map((name) => spawnCli(['start'], { ...env, INSTANCE_ID: name }, `${mode}-${name}`));
  await waitForGroupMembers(tk.admin, config.kafka.groupId, 2);

  const docs = corpusDocs(DOCS, `ro-${mode}`);
  const producer = tk.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({ topic: config.topics.raw, messages: docs.map(toMessage) });
  await producer.disconnect();

  // Mid-run: about a third of the calls made.
  const deadline = Date.now() + 60_000;
  while (server.stats().totalRequests < DOCS && Date.now() < deadline) await sleep(50);
  const downAt = Date.now();
  await redis.stop();
  await sleep(OUTAGE_MS);
  const callsDuringOutage = server.requests().filter((r) => r.at > downAt + 1_000 && r.at < Date.now()).length;
  await redis.start(); // empty: no keys, no cache
  const upAt = Date.now();

  const outputs = [config.topics.enriched, config.topics.review, config.topics.dlq];
  const want = new Set(docs.map((d) => d.id));
  const seen = (rs: ReadRecord[]) => new Set(rs.map((r) => r.key)).size;
  const done = await readTopics(tk.kafka, outputs, { until: (rs) => seen(rs) >= want.size, timeoutMs: 120_000 });
  const finishedAt = Date.now();
  // Read again, after a quiet spell, to catch any duplicate written late.
  const all = await readTopics(tk.kafka, outputs, { minCount: done.length, quietMs: 2_000, timeoutMs: 30_000 });
  const exits = await Promise.all(children.map((c) => c.kill('SIGTERM')));
  const perKey = new Map<string, number>();
  for (const r of all) perKey.set(r.key!, (perKey.get(r.key!) ?? 0) + 1);
  const count = (t: string) => all.filter((r) => r.topic === t).length;
  const figures = {
    enriched: count(config.topics.enriched), review: count(config.topics.review), dlq: count(config.topics.dlq),
    duplicates: [...perKey.values()].filter((n) => n > 1).length, missing: [...want].filter((id) => !perKey.has(id)).length,
    maxInFlight: server.stats().maxInFlight, calls: server.stats().totalRequests, callsDuringOutage,
    recoveredInMs: finishedAt - upAt,
  };
  console.log(`[redis-outage ${mode}] ${JSON.stringify(figures)}`);
  return { figures, exits, logs: children.map(logLines) };
}

describe('a Redis outage (stopped 20 s, restarted empty) with two processors and 600 documents', () => {
  it('REDIS_OUTAGE=pause: nothing dead-lettered, each document exactly once, never more than the pool in flight', async () => {
    const { figures, exits, logs } = await runOutage('pause', 16381);
    expect(figures.dlq).toBe(0);
    expect(figures.missing).toBe(0);
    expect(figures.duplicates).toBe(0);
    expect(figures.enriched + figures.review).toBe(DOCS);
    expect(figures.maxInFlight).toBeLessThanOrEqual(SLOTS);
    expect(figures.callsDuringOutage).toBe(0); // paused, not calling outside the global pool
    expect(exits.map((e) => e.code)).toEqual([0, 0]);
    for (const lines of logs) expect(lines.some((l) => l.level === 'error' && l.msg.startsWith('Redis unreachable: REDIS_OUTAGE=pause'))).toBe(true);
    const all = logs.flat();
    expect(all.some((l) => l.msg.startsWith('Redis answers again'))).toBe(true);
    expect(all.some((l) => /re-creat\w+ (them|the shared LLM pool's keys)/.test(l.msg))).toBe(true); // keys lost with the restart, re-created
  }, 240_000);

  it('REDIS_OUTAGE=local: everything completes, calls go on in local pools, with a warning at the switch and the switch back', async () => {
    const { figures, exits, logs } = await runOutage('local', 16382);
    expect(figures.dlq).toBe(0);
    expect(figures.missing).toBe(0);
    expect(figures.duplicates).toBe(0);
    expect(figures.enriched + figures.review).toBe(DOCS);
    expect(figures.callsDuringOutage).toBeGreaterThan(0);
    expect(figures.maxInFlight).toBeLessThanOrEqual(2 * SLOTS); // one local pool per instance, never both pools at once
    expect(exits.map((e) => e.code)).toEqual([0, 0]);
    for (const lines of logs) {
      const warnings = lines.filter((l) => l.level === 'warn').map((l) => l.msg);
      expect(warnings.some((m) => m.startsWith('Redis unreachable: REDIS_OUTAGE=local'))).toBe(true);
      expect(warnings.some((m) => m.startsWith('Redis answers again: LLM calls switch back to the shared pool'))).toBe(true);
    }
  }, 240_000);
});
