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
 *   Redis never back:   both stay paused for a minute, alive (/healthz 200) but not ready
 *                       (/readyz 503, saying that Redis is why), make no call, dead-letter
 *                       nothing, and still stop cleanly on SIGTERM.
 */
import { freePort } from '../support/ports.ts';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startFakeOpenAiServer, type FakeOpenAiServer } from '../support/fake-openai-server.ts';
import { corpusDocs, toMessage } from '../support/docs.ts';
import { connectTestKafka, readTopics, sendMessages, testEnv, waitForGroupMembers, type TestKafka } from '../support/kafka.ts';
import { spawnCli, type Child } from '../support/processes.ts';
import { ownRedis, type OwnRedis } from '../support/redis-server.ts';
import { sleep } from '../support/time.ts';

const DOCS = 600;
const SLOTS = 5;
const OUTAGE_MS = 20_000;
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

interface LogLine { level: string; msg: string }
const logLines = (c: Child): LogLine[] =>
  readFileSync(c.logFile, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);

/** Two processors on a Redis of the test's own, the documents sent once both own partitions. */
async function deploy(mode: 'pause' | 'local', port: number, docCount: number, metricsPorts?: number[]) {
  server = await startFakeOpenAiServer({ latencyMs: 20 });
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
  children = ['a', 'b'].map((name, i) =>
    spawnCli(['start'], { ...env, INSTANCE_ID: `outage-${name}`, ...(metricsPorts ? { METRICS_PORT: String(metricsPorts[i]) } : {}) }, `${mode}-outage-${name}`),
  );
  await waitForGroupMembers(tk.admin, config.kafka.groupId, 2);
  if (metricsPorts) await until(async () => (await Promise.all(metricsPorts.map(probe))).every((s) => s.ready.status === 200), 30_000, 'the processors never became ready');
  const docs = corpusDocs(docCount, `ro-${mode}`);
  const producer = tk.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({ topic: config.topics.raw, messages: docs.map(toMessage) });
  await producer.disconnect();
  return { config, docs, server, redis, tk };
}

async function until(cond: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(what);
    await sleep(200);
  }
}

async function probe(port: number) {
  const get = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: res.status, body: await res.text() };
  };
  return { health: await get('/healthz'), ready: await get('/readyz') };
}

async function runOutage(mode: 'pause' | 'local', port: number) {
  const { config, docs, server, redis, tk } = await deploy(mode, port, DOCS);

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
  // Every document, then a quiet spell in which a duplicate written late would show.
  const all = await readTopics(tk.kafka, outputs, { minCount: want.size, quietMs: 2_000, timeoutMs: 120_000 });
  const finishedAt = Date.now() - 2_000;
  const exits = await Promise.all(children.map((c) => c.kill('SIGTERM')));
  const perKey = new Map<string, number>();
  for (const r of all) perKey.set(r.key!, (perKey.get(r.key!) ?? 0) + 1);
  const count = (t: string) => all.filter((r) => r.topic === t).length;
  const figures = {
    enriched: count(config.topics.enriched), review: count(config.topics.review), dlq: count(config.topics.dlq),
    duplicates: [...perKey.values()].filter((n) => n > 1).length, missing: [...want].filter((id) => !perKey.has(id)).length,
    maxInFlight: server.stats().maxInFlight, calls: server.stats().totalRequests, callsDuringOutage,
    doneAfterRedisBackMs: finishedAt - upAt,
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

  it('Redis never back: both stay paused, healthy but not ready with the reason, dead-lettering nothing, for a minute', async () => {
    const ports = [await freePort(), await freePort()];
    const { config, docs, server, redis, tk } = await deploy('pause', 16383, 300, ports);
    while (server.stats().totalRequests < 150) await sleep(50);
    await redis.stop();
    await until(async () => (await Promise.all(ports.map(probe))).every((s) => s.ready.status === 503), 15_000, 'the processors did not pause');
    const pausedAt = Date.now();
    const callsAtPause = server.stats().totalRequests;
    let said = '';
    while (Date.now() - pausedAt < HOLD_MS) {
      for (const port of ports) {
        const s = await probe(port);
        expect(s.health).toEqual({ status: 200, body: 'ok' });
        expect(s.ready.status).toBe(503);
        const r = JSON.parse(s.ready.body) as { ready: boolean; why: string[] };
        expect(r.ready).toBe(false);
        expect(r.why.some((w) => w.startsWith('redis since') && w.includes(redis.url))).toBe(true);
        said = r.why.join('; ');
      }
      await sleep(5_000);
    }
    const heldFor = Date.now() - pausedAt;
    // Calls on the wire when Redis went away may have ended after the pause was seen; none started since.
    const lateCalls = server.requests().filter((r) => r.at > pausedAt + 1_000).length;
    const exits = await Promise.all(children.map((c) => c.kill('SIGTERM')));

    const out = await readTopics(tk.kafka, [config.topics.enriched, config.topics.review, config.topics.dlq], { quietMs: 2_000, timeoutMs: 30_000 });
    const dlq = out.filter((r) => r.topic === config.topics.dlq).length;
    const keys = out.map((r) => r.key);
    console.log(
      `[redis-never-returns] held ${heldFor} ms; routed ${out.length} of ${docs.length} (dlq ${dlq}); calls ${callsAtPause} at the pause, ${lateCalls} started later; ` +
        `max in flight ${server.stats().maxInFlight}; /readyz said: ${said}`,
    );
    expect(heldFor).toBeGreaterThanOrEqual(HOLD_MS);
    expect(lateCalls).toBe(0);
    expect(dlq).toBe(0);
    expect(new Set(keys).size).toBe(keys.length); // nothing twice
    expect(out.length).toBeLessThan(docs.length); // the rest waits in Kafka, uncommitted
    expect(exits.map((e) => e.code)).toEqual([0, 0]);
  }, 180_000);
});

describe('Redis lost while a processor starts (REDIS_OUTAGE=pause)', () => {
  it('waits paused instead of exiting, then routes every document once Redis is back', async () => {
    const ports = [await freePort()];
    server = await startFakeOpenAiServer({ latencyMs: 5 });
    redis = ownRedis(16384);
    await redis.start();
    const env = testEnv({
      TOPIC_PARTITIONS: '2', LLM_PROVIDER: 'openai', OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: server.url,
      REDIS_URL: redis.url, REDIS_OUTAGE: 'pause', KAFKA_SESSION_TIMEOUT: '10s', KAFKA_HEARTBEAT_INTERVAL: '1s',
      SHUTDOWN_TIMEOUT: '5s', LOG_LEVEL: 'info', METRICS_PORT: String(ports[0]),
    });
    const config = loadConfig(env);
    tk = await connectTestKafka(config);
    await tk.createTopics(config);
    const child = spawnCli(['start'], { ...env, INSTANCE_ID: 'start-outage' }, 'redis-lost-at-start');
    children = [child];
    const said = (msg: string) => { try { return logLines(child).some((l) => l.msg === msg); } catch { return false; } };
    // Redis goes the moment the shared pool is set up: the rest of the start runs without it.
    await until(() => said('LLM pool shared through Redis') || child.proc.exitCode !== null, 60_000, 'the processor never set up its pool');
    await redis.stop();
    // The start goes on paused: the consumers join their groups with intake held for Redis.
    await until(async () => child.proc.exitCode !== null || (said('joined group') && (await probe(ports[0]!).catch(() => undefined))?.ready.body.includes('redis since') === true), 60_000, 'the processor neither joined its group paused nor exited');
    await sleep(5_000);
    expect(child.proc.exitCode, 'the processor exited while Redis was away during its start').toBeNull();
    const docs = corpusDocs(60, 'ro-start');
    await sendMessages(tk.kafka, config.topics.raw, docs.map(toMessage));
    await sleep(3_000);
    expect(server.stats().totalRequests).toBe(0); // paused: not one call without the global pool
    await redis.start();
    const out = await readTopics(tk.kafka, [config.topics.enriched, config.topics.review, config.topics.dlq], { minCount: docs.length, quietMs: 2_000, timeoutMs: 60_000 });
    expect(out.filter((r) => r.topic === config.topics.dlq)).toHaveLength(0);
    expect(new Set(out.map((r) => r.key)).size).toBe(docs.length);
    expect(out).toHaveLength(docs.length);
    expect((await child.kill('SIGTERM')).code).toBe(0);
  }, 180_000);
});
