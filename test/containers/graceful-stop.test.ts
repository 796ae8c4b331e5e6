/**
 * SIGTERM to a processor container mid-run (`docker compose stop`, through tini): it stops within
 * SHUTDOWN_TIMEOUT (30 s, under compose's 40 s stop_grace_period), exits 0 with every transaction settled, and the other processor finishes the run.
 * Every document is then on enriched or review exactly once (read_committed), none in the DLQ.
 * The stack is docker-compose.yml's own services (Kafka, Redis, two processors), without the
 * registry; the calls are rate-limited (LLM_RPM, shared through Redis) so that the run lasts
 * long enough to be cut in the middle.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { brokerReachable } from '../../src/kafka/local-broker.ts';
import { connectTestKafka, randomName, readTopics, sendMessages, type ReadRecord } from '../support/kafka.ts';
import { freePort } from '../support/ports.ts';
import { composeFor, docker, leftOf, root } from './docker.ts';

const N = 480;
const project = randomName('enricherstop').replace(/[^a-z0-9]/g, '');
let compose: ReturnType<typeof composeFor>;
let up = false;
let brokers = '';

beforeAll(async () => {
  const kafkaPort = await freePort();
  brokers = `127.0.0.1:${kafkaPort}`;
  // 1,800 calls a minute for both processors: 10 documents a second, so the run lasts about 50 s,
  // and the stopping processor's in-flight documents (up to MAX_IN_FLIGHT, 3 calls each) finish
  // well within SHUTDOWN_TIMEOUT (30 s).
  compose = composeFor(project, { KAFKA_HOST_PORT: String(kafkaPort), REVIEW_HOST_PORT: String(await freePort()), SCHEMA_REGISTRY_URL: '', LLM_RPM: '1800' });
  up = true;
  await compose(['up', '-d', '--no-build', 'kafka', 'redis'], 300_000);
  for (let i = 0; i < 120 && !(await brokerReachable(brokers)); i++) await new Promise((r) => setTimeout(r, 1000));
}, 400_000);

afterAll(async () => {
  if (up) await compose(['down', '-v', '--remove-orphans'], 180_000).catch(() => undefined);
  if (up) expect(await leftOf(project)).toEqual({ containers: [], networks: [], volumes: [] });
}, 200_000);

it('a processor stopped by SIGTERM mid-run settles its work: every document exactly once', async () => {
  const config = loadConfig({ KAFKA_BROKERS: brokers, LOG_LEVEL: 'silent' });
  const tk = await connectTestKafka(config);
  await tk.createTopics(config);
  // N distinct documents (distinct texts: no result-cache hit shortens the run).
  const corpus = readFileSync(`${root}data/sample-corpus.jsonl`, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as { id: string; content: string });
  const docs = Array.from({ length: N }, (_, i) => {
    const base = corpus[i % corpus.length]!;
    return { ...base, id: `stop-${i}`, content: `${base.content} (Copy ${i} of the graceful-stop run.)` };
  });
  await sendMessages(tk.kafka, config.topics.raw, docs.map((d) => ({ key: d.id, value: JSON.stringify(d) })));
  await tk.admin.disconnect();

  await compose(['up', '-d', '--no-build', '--no-deps', 'enricher-1', 'enricher-2'], 180_000);
  const outputs = [config.topics.enriched, config.topics.review, config.topics.dlq];
  const routed = (rs: ReadRecord[]) => new Set(rs.map((r) => r.key)).size;

  // Cut in the middle: once a quarter is routed.
  const before = await readTopics(tk.kafka, outputs, { until: (rs) => routed(rs) >= N / 4, timeoutMs: 180_000 });
  expect(routed(before)).toBeGreaterThanOrEqual(N / 4);
  const victim = await compose(['ps', '-q', 'enricher-1']);
  // `compose stop`: SIGTERM, then SIGKILL after the service's stop_grace_period (40 s).
  const t0 = Date.now();
  await compose(['stop', 'enricher-1'], 90_000);
  const stopMs = Date.now() - t0;
  const state = JSON.parse(await docker(['inspect', '-f', '{{json .State}}', victim])) as { ExitCode: number; OOMKilled: boolean };
  const fullLogs = await compose(['logs', '--no-color', 'enricher-1']);
  console.log(`[graceful-stop] SIGTERM after ${routed(before)}/${N} routed; enricher-1 stopped in ${stopMs} ms, exit code ${state.ExitCode}`);
  expect(state.ExitCode).toBe(0);
  expect(stopMs).toBeLessThan(32_000); // SHUTDOWN_TIMEOUT and the container's exit
  expect(fullLogs).toContain('shutting down: finishing in-flight work');
  expect(fullLogs).toContain('stopped cleanly');

  // The other processor takes the partitions over and finishes the run.
  const t1 = Date.now();
  await readTopics(tk.kafka, outputs, { until: (rs) => routed(rs) >= N, timeoutMs: 240_000 });
  const all = await readTopics(tk.kafka, outputs, { minCount: N, quietMs: 3000, timeoutMs: 60_000 });
  const perKey = new Map<string, number>();
  for (const r of all) perKey.set(r.key!, (perKey.get(r.key!) ?? 0) + 1);
  const dupes = [...perKey].filter(([, n]) => n > 1);
  const count = (t: string) => all.filter((r) => r.topic === t).length;
  console.log(`[graceful-stop] after the stop, the run finished in ${((Date.now() - t1) / 1000).toFixed(1)} s: enriched ${count(config.topics.enriched)}, review ${count(config.topics.review)}, dlq ${count(config.topics.dlq)}, duplicates ${dupes.length}`);
  expect(dupes).toEqual([]);
  expect(perKey.size).toBe(N);
  expect(count(config.topics.dlq)).toBe(0);
  expect(count(config.topics.enriched) + count(config.topics.review)).toBe(N);
}, 600_000);
