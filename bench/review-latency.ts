/**
 * `npx node bench/review-latency.ts [--decisions 100]`: how long from a reviewer's click on
 * Accept to the published document being readable on documents.enriched (read_committed).
 * The console runs as its own process (`enricher review`), the reviewer is Debian's chromium
 * driven by playwright-core, and a read_committed consumer in this process notes when each
 * record arrives. Writes bench/review-latency.json and prints p50 / p95 / max.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { launchBrowser, signIn } from '../test/support/browser.ts';
import { spawnCli } from '../test/support/processes.ts';
import { freePort } from '../test/support/ports.ts';
import { PASSWORDS, produceReviewItems, reviewEnv, reviewItem, writeUsersFile } from '../test/support/review.ts';
import { benchEnv, createTopics, root } from './lib.ts';

const { values } = parseArgs({ options: { decisions: { type: 'string', default: '100' } } });
const n = Number(values.decisions);

const port = await freePort();
const env = benchEnv('review', reviewEnv(writeUsersFile(), { REVIEW_PORT: String(port), LOG_LEVEL: 'warn' }));
const { config, kafka, cleanup } = await createTopics(env);
const ids = Array.from({ length: n }, (_, i) => `lat-${String(i).padStart(4, '0')}`);
await produceReviewItems(kafka, config, ids.map((id) => reviewItem(id)), 'latency-run');

// Arrival times on documents.enriched, read_committed, polling as tightly as a consumer reasonably does.
const arrived = new Map<string, number>();
const consumer = kafka.consumer({ groupId: `${config.kafka.groupId}.latency-reader`, readUncommitted: false, maxWaitTimeInMs: 10 });
await consumer.connect();
await consumer.subscribe({ topic: config.topics.enriched, fromBeginning: true });
// No commits: the group holds nothing and disappears with the consumer.
await consumer.run({ autoCommit: false, eachMessage: async ({ message }) => void arrived.set(message.key!.toString(), Date.now()) });

const url = `http://127.0.0.1:${port}`;
const child = spawnCli(['review'], env, 'review-latency');
for (const deadline = Date.now() + 60_000; !(await fetch(`${url}/healthz`).then((r) => r.ok, () => false));) {
  if (Date.now() > deadline) throw new Error(`console not ready; see ${child.logFile}`);
  await new Promise((r) => setTimeout(r, 100));
}
process.on('exit', () => child.proc.kill('SIGKILL'));
const browser = await launchBrowser();
const page = await (await browser.newContext()).newPage();
await signIn(page, url, 'alice', PASSWORDS.alice, `/items/${ids[0]}?run=latency-run`);

// Whatever the run's queue shows next: each Accept redirects to the next open item.
const clicks = new Map<string, { click: number; answered: number }>();
for (let i = 0; i < n; i++) {
  const id = (await page.textContent('#doc-id'))!;
  const click = Date.now();
  await Promise.all([page.waitForURL((u) => !u.pathname.endsWith(`/items/${id}`)), page.click('#accept')]);
  clicks.set(id, { click, answered: Date.now() });
}
for (const deadline = Date.now() + 30_000; ids.some((id) => !arrived.has(id)) && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 20));

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: pct(s, 50), p95: pct(s, 95), max: s[s.length - 1]!, mean: Math.round(s.reduce((a, b) => a + b, 0) / s.length) };
};
const readable = ids.filter((id) => arrived.has(id)).map((id) => arrived.get(id)! - clicks.get(id)!.click);
const answered = ids.map((id) => clicks.get(id)!.answered - clicks.get(id)!.click);
const result = {
  decisions: n, readable: readable.length, at: new Date().toISOString(),
  clickToReadableMs: stats(readable), clickToNextPageMs: stats(answered),
  note: 'click → the record arrives at a read_committed consumer of documents.enriched (maxWaitTimeInMs 10); next page = the 303 redirect to the next item rendered',
};
writeFileSync(`${root}bench/review-latency.json`, `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`${n} Accept clicks, ${readable.length} readable on ${config.topics.enriched}\n`);
process.stdout.write(`  click → readable (read_committed): p50 ${result.clickToReadableMs.p50} ms, p95 ${result.clickToReadableMs.p95} ms, max ${result.clickToReadableMs.max} ms\n`);
process.stdout.write(`  click → next item shown:           p50 ${result.clickToNextPageMs.p50} ms, p95 ${result.clickToNextPageMs.p95} ms, max ${result.clickToNextPageMs.max} ms\n`);

await browser.close();
await child.kill('SIGTERM');
await consumer.disconnect();
await cleanup();
process.exit(readable.length === n ? 0 : 1);
