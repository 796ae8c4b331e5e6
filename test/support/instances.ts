/**
 * Processor instances in one consumer group on fresh topics of the real broker, calling the
 * local OpenAI-compatible server and, when asked, sharing one LLM pool and cache through Redis:
 * the fixture of the scale-out, replay and exactly-once tests. Instances run in this process
 * (startApps) or as `enricher start` children (spawn). Start it inside a test: whatever it
 * started is stopped, killed or deleted when that test ends.
 */
import { expect, onTestFinished } from 'vitest';
import type { Processor, ProcessorOverrides } from '../../src/processes/processor.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import type { CostEvent, RawDocument } from '../../src/contracts/index.ts';
import { toMessage } from './docs.ts';
import { startFakeOpenAiServer, type FakeOpenAiServer, type FakeOptions } from './fake-openai-server.ts';
import { startTestApp } from './app.ts';
import { jsonValue, openTestKafka, outputTopics as outputsOf, readTopics, sendMessages, testEnv, waitForGroupMembers, type ReadRecord, type TestKafka } from './kafka.ts';
import { spawnCli, type Child } from './processes.ts';
import { deletePoolKeys, TEST_REDIS_URL, uniquePoolId } from './redis.ts';

export interface InstancesOptions {
  /** The fake server's latency, faults and the like. */
  server?: FakeOptions;
  /** Settings of every instance, over the fake server's and LLM_CACHE_SIZE=0. */
  env?: Record<string, string>;
  /** One LLM pool (and cache) in Redis for every instance, under a fresh pool id with this prefix. */
  redisPool?: string;
}

export interface Instances {
  server: FakeOpenAiServer;
  /** Every instance's environment, without its INSTANCE_ID. */
  env: Record<string, string>;
  config: Config;
  tk: TestKafka;
  /** The Redis pool id, with redisPool. */
  pool: string | undefined;
  /** enriched, review and the DLQ: where every document ends up. */
  outputTopics: string[];
  /** The children spawned so far. */
  children: Child[];
  /** Creates and starts one app per instance id in this process. */
  startApps(ids: string[], overrides?: ProcessorOverrides): Promise<Processor[]>;
  /** Stops the apps started so far. */
  stopApps(): Promise<void>;
  /** Starts `enricher start` as a child process with this instance id. */
  spawn(id: string): Child;
  /** Until the group is stable with n members, each owning partitions. */
  waitForMembers(n: number, timeoutMs?: number): Promise<void>;
  send(docs: RawDocument[]): Promise<void>;
  /** Reads the output topics until every document is there, and checks that each one is. */
  awaitEveryDocument(docs: RawDocument[], timeoutMs?: number): Promise<ReadRecord[]>;
  costEvents(opts: { minCount: number; quietMs: number; timeoutMs?: number }): Promise<CostEvent[]>;
}

export async function startInstances(opts: InstancesOptions = {}): Promise<Instances> {
  const server = await startFakeOpenAiServer(opts.server);
  onTestFinished(() => server.close());
  const pool = opts.redisPool ? uniquePoolId(opts.redisPool) : undefined;
  if (pool) onTestFinished(async () => void (await deletePoolKeys(pool)));
  const env = testEnv({
    LLM_PROVIDER: 'openai',
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: server.url,
    LLM_CACHE_SIZE: '0',
    ...(pool ? { REDIS_URL: TEST_REDIS_URL, LLM_POOL_ID: pool } : {}),
    ...opts.env,
  });
  const config = loadConfig(env);
  const tk = await openTestKafka(config);
  const apps: Processor[] = [];
  const children: Child[] = [];
  onTestFinished(async () => void (await Promise.all(children.map((c) => c.kill('SIGKILL')))));
  const outputTopics = outputsOf(config);
  return {
    server, env, config, tk, pool, children, outputTopics,
    async startApps(ids, overrides = {}) {
      const started = await Promise.all(ids.map((id) => startTestApp(loadConfig({ ...env, INSTANCE_ID: id }), overrides)));
      apps.push(...started);
      return started;
    },
    async stopApps() {
      await Promise.all(apps.splice(0).map((a) => a.stop()));
    },
    spawn(id) {
      const child = spawnCli(['start'], { ...env, INSTANCE_ID: id }, id);
      children.push(child);
      return child;
    },
    waitForMembers: (n, timeoutMs) => waitForGroupMembers(tk.admin, config.kafka.groupId, n, timeoutMs),
    send: (docs) => sendMessages(tk.kafka, config.topics.raw, docs.map(toMessage)),
    async awaitEveryDocument(docs, timeoutMs = 60_000) {
      const want = new Set(docs.map((d) => d.id));
      const out = await readTopics(tk.kafka, outputTopics, { until: (r) => new Set(r.map((x) => x.key)).size >= want.size, timeoutMs });
      const seen = new Set(out.map((r) => r.key));
      expect([...want].filter((id) => !seen.has(id)), 'documents that never reached an output topic').toEqual([]);
      return out;
    },
    async costEvents({ minCount, quietMs, timeoutMs }) {
      const records = await readTopics(tk.kafka, [config.topics.costEvents], { minCount, quietMs, ...(timeoutMs ? { timeoutMs } : {}) });
      return records.map((r) => jsonValue<CostEvent>(r));
    },
  };
}
