/**
 * Shared backoff: two processor instances (two apps in this process, each with its own
 * limiter, provider and Kafka clients; they only share the broker and Redis) work one topic.
 * One request gets a 429 with Retry-After: 2. The instance that got it holds; with Redis the
 * other one holds too, so the API hears nothing from ANYONE for those 2 s. Without Redis (the
 * contrast) the other instance keeps calling.
 * Asserted on the server's request arrival times; requests already sent before the 429 was
 * answered are allowed, with 100 ms of grace for ones that passed the hold check just then.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import type { CostEvent } from '../../src/contracts/index.ts';
import { startFakeOpenAiServer, type FakeOpenAiServer } from '../support/fake-openai-server.ts';
import { corpusDocs, toMessage } from '../support/docs.ts';
import { connectTestKafka, jsonValue, readTopics, testEnv, type TestKafka } from '../support/kafka.ts';
import { testLogger } from '../support/logger.ts';
import { deletePoolKeys, TEST_REDIS_URL, uniquePoolId } from '../support/redis.ts';

let tk: TestKafka | undefined;
let server: FakeOpenAiServer | undefined;
let apps: App[] = [];
let pool: string | undefined;
afterEach(async () => {
  await Promise.all(apps.map((a) => a.stop()));
  apps = [];
  await tk?.cleanup();
  await server?.close();
  if (pool) await deletePoolKeys(pool);
  tk = undefined;
  server = undefined;
  pool = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const GRACE_MS = 100;
const HOLD_MS = 2000;

async function waitForMembers(config: Config, n: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const g = (await tk!.admin.describeGroups([config.kafka.groupId])).groups[0];
    if (g?.state === 'Stable' && g.members.length === n) return;
    if (Date.now() > deadline) throw new Error('the two instances never formed a stable group');
    await sleep(200);
  }
}

async function runWith429(extraEnv: Record<string, string>) {
  server = await startFakeOpenAiServer({ latencyMs: 100 });
  const env = testEnv({
    TOPIC_PARTITIONS: '4',
    LLM_PROVIDER: 'openai',
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: server.url,
    LLM_POOL_SLOTS: '4',
    LLM_CALL_RETRIES: '1',
    LLM_TIMEOUT: '5s',
    LLM_CACHE_SIZE: '0',
    KAFKA_SESSION_TIMEOUT: '6s',
    KAFKA_HEARTBEAT_INTERVAL: '500ms',
    ...extraEnv,
  });
  const configs = ['backoff-a', 'backoff-b'].map((id) => loadConfig({ ...env, INSTANCE_ID: id }));
  tk = await connectTestKafka(configs[0]!);
  await tk.createTopics(configs[0]!);
  apps = configs.map((c) => createApp(c, testLogger()));
  await Promise.all(apps.map((a) => a.start()));
  await waitForMembers(configs[0]!, 2);

  const docs = corpusDocs(90, 'bo');
  // One 429, early, on one document: whichever instance owns it is "the one told".
  server.addFault({ match: { documentId: 'bo-12', step: 'summarize' }, times: 1, action: { status: 429, retryAfterSeconds: HOLD_MS / 1000 } });
  const producer = tk.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({ topic: configs[0]!.topics.raw, messages: docs.map(toMessage) });
  await producer.disconnect();

  const config = configs[0]!;
  const out = await readTopics(tk.kafka, [config.topics.enriched, config.topics.review, config.topics.dlq], {
    until: (r) => new Set(r.map((x) => x.key)).size >= docs.length,
    timeoutMs: 60_000,
  });
  expect(new Set(out.map((r) => r.key)).size).toBe(docs.length);
  const costs = await readTopics(tk.kafka, [config.topics.costEvents], { minCount: docs.length * 3, quietMs: 800 });
  const instanceOf = new Map<string, string>();
  for (const r of costs) {
    const e = jsonValue<CostEvent>(r);
    instanceOf.set(e.document_id, e.instance_id ?? '?');
  }

  const requests = server.requests();
  const limited = requests.find((r) => r.status === 429)!;
  expect(limited).toBeDefined();
  const answeredAt = limited.at + limited.durationMs;
  const inHold = requests.filter((r) => r.at > answeredAt + GRACE_MS && r.at < answeredAt + HOLD_MS - GRACE_MS);
  const after = requests.filter((r) => r.at >= answeredAt + HOLD_MS - GRACE_MS);
  const before = requests.filter((r) => r.at < answeredAt);
  const instancesOf = (rs: typeof requests) => [...new Set(rs.map((r) => instanceOf.get(r.documentId ?? '')))].sort();
  return { told: instanceOf.get('bo-12'), inHold, before: instancesOf(before), after: instancesOf(after), inHoldBy: instancesOf(inHold) };
}

describe('shared backoff', () => {
  it('with Redis, a 429 with Retry-After: 2 seen by one instance holds the calls of every instance', async () => {
    pool = uniquePoolId('backoff');
    const r = await runWith429({ REDIS_URL: TEST_REDIS_URL, LLM_POOL_ID: pool });
    console.log(`[backoff] shared: 429 told to ${r.told}; requests during the hold: ${r.inHold.length}`);
    expect(r.before).toEqual(['backoff-a', 'backoff-b']); // both were calling before the 429…
    expect(r.inHold).toEqual([]); // …nobody called during the hold…
    expect(r.after).toEqual(['backoff-a', 'backoff-b']); // …and both went on afterwards.
  }, 90_000);

  it('without Redis (the contrast), only the instance told holds; the other keeps calling', async () => {
    const r = await runWith429({});
    console.log(`[backoff] per instance: 429 told to ${r.told}; requests during the hold: ${r.inHold.length} by ${r.inHoldBy.join(',')}`);
    expect(r.inHold.length).toBeGreaterThan(0);
    expect(r.inHoldBy).not.toContain(r.told);
  }, 90_000);
});
