/**
 * Redis goes away mid-run and never comes back (REDIS_OUTAGE=pause): the two processors stay
 * paused for a minute, alive (/healthz 200) but not ready (/readyz 503, saying that Redis is
 * why), make no LLM call, dead-letter nothing, and still stop cleanly on SIGTERM.
 */
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startFakeOpenAiServer, type FakeOpenAiServer } from '../support/fake-openai-server.ts';
import { corpusDocs, toMessage } from '../support/docs.ts';
import { connectTestKafka, readTopics, testEnv, waitForGroupMembers, type TestKafka } from '../support/kafka.ts';
import { spawnCli, type Child } from '../support/processes.ts';
import { ownRedis, type OwnRedis } from '../support/redis-server.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const HOLD_MS = 60_000;

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

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function probe(port: number) {
  const get = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: res.status, body: await res.text() };
  };
  return { health: await get('/healthz'), ready: await get('/readyz') };
}

describe('Redis never comes back', () => {
  it('keeps both processors paused, healthy but not ready with the reason, dead-lettering nothing, for a minute', async () => {
    server = await startFakeOpenAiServer({ latencyMs: 30 });
    redis = ownRedis(16383);
    await redis.start();
    const ports = [await freePort(), await freePort()];
    const env = testEnv({
      TOPIC_PARTITIONS: '4',
      LLM_PROVIDER: 'openai',
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: server.url,
      LLM_POOL_SLOTS: '5',
      REDIS_URL: redis.url,
      REDIS_OUTAGE: 'pause',
      KAFKA_SESSION_TIMEOUT: '10s',
      KAFKA_HEARTBEAT_INTERVAL: '1s',
      SHUTDOWN_TIMEOUT: '5s',
      LOG_LEVEL: 'info',
    });
    const config = loadConfig(env);
    tk = await connectTestKafka(config);
    await tk.createTopics(config);
    children = ports.map((port, i) => spawnCli(['start'], { ...env, INSTANCE_ID: `never-${i}`, METRICS_PORT: String(port) }, `never-${i}`));
    await waitForGroupMembers(tk.admin, config.kafka.groupId, 2);
    const readyBy = Date.now() + 30_000;
    while (!(await Promise.all(ports.map(probe))).every((s) => s.ready.status === 200)) {
      if (Date.now() > readyBy) throw new Error('the processors never became ready');
      await sleep(200);
    }

    const docs = corpusDocs(300, 'never');
    const producer = tk.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic: config.topics.raw, messages: docs.map(toMessage) });
    await producer.disconnect();
    while (server.stats().totalRequests < 150) await sleep(50);
    await redis.stop();

    const pausedBy = Date.now() + 15_000;
    for (;;) {
      const states = await Promise.all(ports.map(probe));
      if (states.every((s) => s.ready.status === 503)) break;
      if (Date.now() > pausedBy) throw new Error(`not paused: ${JSON.stringify(states)}`);
      await sleep(200);
    }
    const pausedAt = Date.now();
    const callsAtPause = server.stats().totalRequests;
    const samples: string[] = [];
    while (Date.now() - pausedAt < HOLD_MS) {
      for (const port of ports) {
        const s = await probe(port);
        expect(s.health).toEqual({ status: 200, body: 'ok' });
        expect(s.ready.status).toBe(503);
        const r = JSON.parse(s.ready.body) as { ready: boolean; why: string[] };
        expect(r.ready).toBe(false);
        expect(r.why.some((w) => w.startsWith('redis since') && w.includes(redis!.url))).toBe(true);
        samples.push(r.why.join('; '));
      }
      await sleep(5_000);
    }
    const heldFor = Date.now() - pausedAt;
    // Calls on the wire when Redis went away may still have ended after the pause was seen; none started since.
    const lateCalls = server.requests().filter((r) => r.at > pausedAt + 1_000).length;
    const exits = await Promise.all(children.map((c) => c.kill('SIGTERM')));

    const out = await readTopics(tk.kafka, [config.topics.enriched, config.topics.review, config.topics.dlq], { quietMs: 2_000, timeoutMs: 30_000 });
    const dlq = out.filter((r) => r.topic === config.topics.dlq).length;
    const keys = out.map((r) => r.key);
    console.log(
      `[redis-never-returns] held ${heldFor} ms; routed ${out.length} of ${docs.length} (dlq ${dlq}); calls ${callsAtPause} at the pause, ${lateCalls} started later; ` +
        `max in flight ${server.stats().maxInFlight}; /readyz said: ${samples[samples.length - 1]}`,
    );
    expect(heldFor).toBeGreaterThanOrEqual(HOLD_MS);
    expect(lateCalls).toBe(0);
    expect(dlq).toBe(0);
    expect(new Set(keys).size).toBe(keys.length); // nothing twice
    expect(out.length).toBeLessThan(docs.length); // the rest waits in Kafka, uncommitted
    expect(exits.map((e) => e.code)).toEqual([0, 0]);
  }, 180_000);
});
