/**
 * The review console as a real child process, SIGKILLed while a reviewer works through the
 * queue: between two clicks, right after a click (the decision in flight), and a moment later.
 * After each restart the console rebuilds the queue from Kafka, the reviewer's session still
 * works (same REVIEW_SESSION_SECRET), and in the end every item was decided exactly once: one
 * output and one decision record per document, nothing lost, nothing published twice.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config.ts';
import { launchBrowser, signIn } from '../support/browser.ts';
import { connectTestKafka, testEnv, type TestKafka } from '../support/kafka.ts';
import { spawnCli, type Child } from '../support/processes.ts';
import { freePort } from '../support/ports.ts';
import { collectOutputs, countKeys, PASSWORDS, produceReviewItems, reviewEnv, reviewItem, writeUsersFile, type OutputCollector } from '../support/review.ts';
import { sleep } from '../support/time.ts';

const N = 12;
let env: Record<string, string>;
let config: Config;
let tk: TestKafka;
let browser: Browser;
let outputs: OutputCollector;
let child: Child | undefined;
let url: string;

async function startChild(): Promise<void> {
  child = spawnCli(['review'], env, 'review-console');
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (ok) return;
    if (child.proc.exitCode !== null) throw new Error(`the console exited (${child.proc.exitCode}); see ${child.logFile}`);
    if (Date.now() > deadline) throw new Error(`the console did not become ready; see ${child.logFile}`);
    await sleep(100);
  }
}

async function kill(): Promise<void> {
  const exit = await child!.kill('SIGKILL');
  expect(exit.signal).toBe('SIGKILL');
}

/** Opens the first open item of the test's run, or returns false when none is left. */
async function openFirst(page: Page): Promise<boolean> {
  const res = await page.goto(`${url}/?run=restart-run`);
  expect(res!.status()).toBe(200); // still signed in, also after a restart
  const first = page.locator('#queue-table tbody tr a').first();
  if ((await first.count()) === 0) return false;
  await Promise.all([page.waitForURL(/\/items\//), first.click()]);
  return true;
}

beforeAll(async () => {
  const port = await freePort();
  env = testEnv(reviewEnv(writeUsersFile(), { REVIEW_PORT: String(port), LOG_LEVEL: 'info' }));
  config = loadConfig(env);
  url = `http://127.0.0.1:${port}`;
  tk = await connectTestKafka(config);
  await tk.createTopics(config);
  outputs = await collectOutputs(tk.kafka, config);
  await produceReviewItems(tk.kafka, config, Array.from({ length: N }, (_, i) => reviewItem(`restart-${i}`)), 'restart-run');
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await child?.kill('SIGKILL');
  await browser?.close();
  await outputs?.stop();
  await tk?.cleanup();
});

describe('review console killed with SIGKILL between and during decisions', () => {
  it('loses no item and publishes none twice', async () => {
    await startChild();
    const page = await (await browser.newContext()).newPage();
    await signIn(page, url, 'alice', PASSWORDS.alice);
    let clicks = 0;
    let kills = 0;
    while (await openFirst(page)) {
      clicks++;
      expect(clicks).toBeLessThan(N + 10);
      if (clicks === 3) {
        // Killed between two clicks: the decision before it had its answer.
        await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/items/') || u.search.includes('done=')), page.keyboard.press('a')]);
        await kill();
      } else if (clicks === 6 || clicks === 9) {
        // Killed with the decision on its way: right away, or a moment later.
        await page.keyboard.press('a');
        if (clicks === 9) await sleep(40);
        await kill();
      } else {
        await Promise.all([page.waitForURL((u) => u.search.includes('done=')), page.keyboard.press('a')]);
        continue;
      }
      kills++;
      await startChild();
    }
    expect(kills).toBe(3);

    const ids = Array.from({ length: N }, (_, i) => `restart-${i}`);
    const mine = (topic: string) => outputs.on(topic).filter((r) => r.key?.startsWith('restart-'));
    await outputs.waitFor(() => mine(config.topics.enriched).length >= N && mine(config.topics.reviewDecisions).length >= N, 60_000);
    await sleep(2000); // room for a duplicate, were there one
    expect(new Set(mine(config.topics.enriched).map((r) => r.key))).toEqual(new Set(ids));
    expect([...countKeys(mine(config.topics.enriched)).values()].every((n) => n === 1)).toBe(true);
    expect([...countKeys(mine(config.topics.reviewDecisions)).values()].every((n) => n === 1)).toBe(true);
    expect(mine(config.topics.reviewDecisions)).toHaveLength(N);
    console.log(`restart test: ${clicks} accept clicks for ${N} items, ${kills} SIGKILLs`);
  });
});
