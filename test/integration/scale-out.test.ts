/**
 * Scale-out, with real processes: three `node src/cli/main.ts start` children in one consumer
 * group, LLM_POOL_SLOTS=5, against the local OpenAI-compatible server (100 ms per call),
 * which records how many calls it had in flight at once.
 *
 *   with REDIS_URL    → one pool for the deployment: never more than 5 calls in flight;
 *   without REDIS_URL → one pool per instance: up to 3 × 5 = 15 in flight.
 *
 * Both tests also check that all three instances did work (the cost events carry the
 * instance id), so that the first one's 5 are not simply the only ones that ran.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config.ts';
import type { CostEvent } from '../../src/contracts/index.ts';
import { startFakeOpenAiServer, type FakeOpenAiServer } from '../support/fake-openai-server.ts';
import { corpusDocs, toMessage } from '../support/docs.ts';
import { connectTestKafka, jsonValue, readTopics, testEnv, waitForGroupMembers, type TestKafka } from '../support/kafka.ts';
import { spawnCli, type Child } from '../support/processes.ts';
import { deletePoolKeys, TEST_REDIS_URL, uniquePoolId, withRedis } from '../support/redis.ts';

let tk: TestKafka | undefined;
let server: FakeOpenAiServer | undefined;
let children: Child[] = [];
let pool: string | undefined;

afterEach(async () => {
  await Promise.all(children.map((c) => c.kill('SIGKILL')));
  children = [];
  await tk?.cleanup();
  await server?.close();
  if (pool) await deletePoolKeys(pool);
  tk = undefined;
  server = undefined;
  pool = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const INSTANCES = ['scale-a', 'scale-b', 'scale-c'];

/** Starts three processors, waits until each owns partitions, then sends the documents. */
async function runThreeInstances(extraEnv: Record<string, string>, docCount: number) {
  server = await startFakeOpenAiServer({ latencyMs: 100 });
  const env = testEnv({
    TOPIC_PARTITIONS: '6',
    LLM_PROVIDER: 'openai',
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: server.url,
    LLM_POOL_SLOTS: '5',
    LLM_CACHE_SIZE: '0', // every document pays: the pool is what is measured
    KAFKA_SESSION_TIMEOUT: '6s',
    KAFKA_HEARTBEAT_INTERVAL: '500ms',
    LOG_LEVEL: 'info',
    ...extraEnv,
  });
  const config = loadConfig(env);
  tk = await connectTestKafka(config);
  await tk.createTopics(config);
  children = INSTANCES.map((name) => spawnCli(['start'], { ...env, INSTANCE_ID: name }, name));
  await waitForGroupMembers(tk.admin, config.kafka.groupId, INSTANCES.length);

  const docs = corpusDocs(docCount, 'so');
  const producer = tk.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({ topic: config.topics.raw, messages: docs.map(toMessage) });
  await producer.disconnect();

  const want = new Set(docs.map((d) => d.id));
  const out = await readTopics(tk.kafka, [config.topics.enriched, config.topics.review, config.topics.dlq], {
    until: (r) => new Set(r.map((x) => x.key)).size >= want.size,
    timeoutMs: 60_000,
  });
  expect(new Set(out.map((r) => r.key)).size).toBe(want.size);
  const costs = await readTopics(tk.kafka, [config.topics.costEvents], { minCount: docCount * 3, quietMs: 1000, timeoutMs: 20_000 });
  const perInstance = new Map<string, number>();
  for (const r of costs) {
    const e = jsonValue<CostEvent>(r);
    perInstance.set(e.instance_id ?? '?', (perInstance.get(e.instance_id ?? '?') ?? 0) + 1);
  }
  return { config, stats: server.stats(), perInstance };
}

describe('scale-out: the LLM pool across instances', () => {
  it('with Redis, three instances share ONE pool of 5: the API never sees more than 5 calls at once', async () => {
    pool = uniquePoolId('scale');
    const { stats, perInstance } = await runThreeInstances({ REDIS_URL: TEST_REDIS_URL, LLM_POOL_ID: pool }, 120);
    console.log(`[scale-out] global pool: max in flight ${stats.maxInFlight}, calls ${stats.totalRequests}, per instance ${JSON.stringify(Object.fromEntries(perInstance))}`);
    expect(stats.maxInFlight).toBeLessThanOrEqual(5);
    expect(stats.maxInFlight).toBeGreaterThanOrEqual(4); // the pool was saturated, not idle
    expect([...perInstance.keys()].sort()).toEqual(INSTANCES);
    for (const n of perInstance.values()) expect(n).toBeGreaterThan(20);

    // SIGTERM: each instance stops cleanly and closes its Redis connections.
    const exits = await Promise.all(children.map((c) => c.kill('SIGTERM')));
    expect(exits.map((e) => e.code)).toEqual([0, 0, 0]);
    const clients = await withRedis((r) => r.client('LIST') as Promise<string>);
    expect(clients).not.toContain(`llm-pool:${pool}`);
    expect(clients).not.toContain(`llm-cache:${pool}`);
  }, 90_000);

  it('without Redis (the contrast), each instance has its own pool of 5: up to 15 calls at once', async () => {
    const { stats, perInstance } = await runThreeInstances({}, 120);
    console.log(`[scale-out] per-instance pools: max in flight ${stats.maxInFlight}, calls ${stats.totalRequests}, per instance ${JSON.stringify(Object.fromEntries(perInstance))}`);
    expect(stats.maxInFlight).toBeGreaterThan(5);
    expect(stats.maxInFlight).toBeLessThanOrEqual(15);
    expect([...perInstance.keys()].sort()).toEqual(INSTANCES);
  }, 90_000);
});
