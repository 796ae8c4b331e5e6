/**
 * docker-compose.yml, end to end: `up` routes the bundled corpus (72 documents) through the two
 * processors, counted on the topics from the host; the review console answers on the host's
 * loopback and nowhere else; `down -v` leaves no container, network or volume behind.
 * Needs the images (`npm run images`) and a free pair of host ports; never touches 9092.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createKafka } from '../../src/kafka/client.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { randomName, readTopics, type ReadRecord } from '../support/kafka.ts';
import { freePort } from '../support/ports.ts';
import { answers, composeFor, docker, leftOf, otherAddresses, root } from './docker.ts';

const project = randomName('enrichercompose').replace(/[^a-z0-9]/g, '');
let kafkaPort = 0;
let reviewPort = 0;
let compose: ReturnType<typeof composeFor>;
let up = false;
const corpus = readFileSync(`${root}data/sample-corpus.jsonl`, 'utf8').split('\n').filter((l) => l.trim()).length;

beforeAll(async () => {
  kafkaPort = await freePort();
  reviewPort = await freePort();
  compose = composeFor(project, { KAFKA_HOST_PORT: String(kafkaPort), REVIEW_HOST_PORT: String(reviewPort) });
  const t0 = Date.now();
  up = true;
  await compose(['up', '-d', '--no-build'], 600_000);
  console.log(`[compose] up -d returned in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}, 600_000);

afterAll(async () => {
  if (up) await compose(['down', '-v', '--remove-orphans'], 180_000).catch(() => undefined);
}, 180_000);

it('routes the bundled corpus end to end: every document once on enriched or review, none in the DLQ, every call costed', async () => {
  const t0 = Date.now();
  const config = loadConfig({ KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`, LOG_LEVEL: 'silent' });
  const kafka = createKafka(config, silentLogger(), '-compose-test');
  const keyCount = (rs: ReadRecord[]) => new Set(rs.filter((r) => r.topic !== config.topics.dlq).map((r) => r.key)).size;
  const records = await readTopics(kafka, [config.topics.enriched, config.topics.review, config.topics.dlq], {
    until: (rs) => keyCount(rs) + rs.filter((r) => r.topic === config.topics.dlq).length >= corpus,
    timeoutMs: 240_000,
  });
  // Settle: a late duplicate would show here.
  const again = await readTopics(kafka, [config.topics.enriched, config.topics.review, config.topics.dlq], { minCount: records.length, quietMs: 3000, timeoutMs: 30_000 });
  const count = (t: string) => again.filter((r) => r.topic === t).length;
  const counts = { enriched: count(config.topics.enriched), review: count(config.topics.review), dlq: count(config.topics.dlq) };
  console.log(`[compose] ${corpus} documents: ${JSON.stringify(counts)} after ${((Date.now() - t0) / 1000).toFixed(1)} s of waiting`);
  expect(corpus).toBe(72);
  expect(counts.dlq).toBe(0);
  expect(counts.enriched + counts.review).toBe(corpus);
  expect(new Set(again.map((r) => r.key)).size).toBe(corpus);
  // The loader ran once and exited 0; both processors run.
  const loader = await compose(['ps', '-q', 'loader']);
  expect(await docker(['inspect', '-f', '{{.State.ExitCode}}', loader])).toBe('0');
  // The cost aggregator in the stack totalled every call of the run (3 per document), as `enricher
  // costs` reads them from llm.costs.daily: the same image, another command.
  let costs = '';
  for (let i = 0; i < 20 && !new RegExp(`compose\\s+${corpus * 3}\\s`).test(costs); i++) {
    if (i) await new Promise((r) => setTimeout(r, 2000));
    costs = await compose(['run', '--rm', '--no-deps', '-T', 'loader', 'costs', '--by', 'run'], 120_000);
  }
  console.log(`[compose] enricher costs --by run:\n${costs.split('\n').filter((l) => !l.startsWith('{')).join('\n')}`);
  expect(costs).toMatch(new RegExp(`compose\\s+${corpus * 3}\\s`));
  const ps = await compose(['ps']);
  expect(ps).toMatch(/enricher-1.*Up/);
  expect(ps).toMatch(/enricher-2.*Up/);
}, 300_000);

it('the review console answers on the host loopback only, and the reviewer compose made can sign in', async () => {
  let health: Awaited<ReturnType<typeof answers>>;
  for (let i = 0; i < 60 && health?.status !== 200; i++) {
    health = await answers(`http://127.0.0.1:${reviewPort}/healthz`);
    if (health?.status !== 200) await new Promise((r) => setTimeout(r, 1000));
  }
  expect(health).toEqual({ status: 200, body: 'ready' });
  // Its users file was made by the one-shot service, which says how to sign in: and that sign-in works.
  const password = /sign in as reviewer with password (\S{12,})/.exec(await compose(['logs', '--no-color', 'review-users']))?.[1];
  expect(password).toBeDefined();
  const base = `http://127.0.0.1:${reviewPort}`;
  const form = await fetch(`${base}/login`);
  const cookie = form.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  const signIn = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, user: 'reviewer', password: password! }).toString(),
  });
  expect(signIn.status).toBeGreaterThanOrEqual(300);
  expect(signIn.status).toBeLessThan(400);
  const session = signIn.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const queue = await fetch(`${base}/`, { headers: { cookie: session }, redirect: 'manual' });
  console.log(`[compose] review console: signed in as reviewer (${signIn.status}), / answers ${queue.status}`);
  expect(queue.status).toBe(200);
  const others = otherAddresses();
  console.log(`[compose] review console: 127.0.0.1:${reviewPort} answers; tried and refused on ${others.join(', ') || '(no other address)'}`);
  for (const address of others) expect(await answers(`http://${address}:${reviewPort}/healthz`)).toBeUndefined();
}, 120_000);

it('down -v leaves no container, network or volume behind', async () => {
  await compose(['down', '-v', '--remove-orphans'], 180_000);
  up = false;
  expect(await leftOf(project)).toEqual({ containers: [], networks: [], volumes: [] });
}, 200_000);
