/**
 * The Candidates page from a real shadow run: the processor with SHADOW_MODEL=offline-small
 * (every document sampled) routes 24 corpus documents on fresh topics of the real broker, then a
 * console reads documents.shadow. The page shows what the comparisons on the topic say; a
 * reviewer accepts a shadowed document in review, and the page then scores both sides on it.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import { ShadowComparison } from '../../src/contracts/index.ts';
import { createProcessor } from '../../src/processes/processor.ts';
import { candidateSentence, candidateStats } from '../../src/review/candidates/candidate-stats.ts';
import { signIn } from '../support/browser.ts';
import { corpusDocs, toMessage } from '../support/docs.ts';
import { jsonValue, readTopics, sendMessages, type TestKafka } from '../support/kafka.ts';
import { testLogger } from '../support/logger.ts';
import { openConsoleFixture, PASSWORDS, type ConsoleFixture } from '../support/review.ts';
import { waitUntil } from '../support/time.ts';

const DOCS = corpusDocs(24, 'live');
let fixture: ConsoleFixture;
let browser: Browser;
let url: string;
let comparisons: ShadowComparison[] = [];

async function shadowRun(tk: TestKafka, c: Config): Promise<void> {
  await sendMessages(tk.kafka, c.topics.raw, DOCS.map(toMessage));
  const app = createProcessor(c, testLogger());
  await app.start();
  try {
    await waitUntil(() => app.shadow!.stats().written + app.shadow!.stats().failed >= DOCS.length, 90_000, 'the shadow to compare every document');
  } finally {
    await app.stop();
  }
  const records = await readTopics(tk.kafka, [c.topics.shadow], { until: (r) => r.length >= DOCS.length, quietMs: 800, timeoutMs: 30_000 });
  comparisons = records.map((r) => ShadowComparison.parse(jsonValue(r)));
}

beforeAll(async () => {
  fixture = await openConsoleFixture({ SHADOW_MODEL: 'offline-small', SHADOW_SAMPLE: '1', LLM_POOL_SLOTS: '4' }, shadowRun);
  ({ browser, url } = fixture);
}, 180_000);

afterAll(async () => {
  await fixture?.close();
});

async function sentence(page: Page): Promise<string> {
  await page.goto(`${url}/candidates`);
  return ((await page.locator('section.candidate[data-candidate="offline-small"] .sentence').textContent()) ?? '').trim();
}

describe('the Candidates page after a real shadow run', () => {
  it('shows the comparisons on documents.shadow, and scores both sides once a reviewer decides a shadowed document', async () => {
    expect(comparisons).toHaveLength(DOCS.length);
    const decision = (id: string) => fixture.console.state.decision(id);
    const [before] = candidateStats(comparisons, decision);
    expect(before!.compared + before!.failed).toBe(DOCS.length);
    const page = await (await browser.newContext()).newPage();
    page.on('pageerror', (e) => {
      throw e;
    });
    await signIn(page, url, 'alice', PASSWORDS.alice, '/candidates');
    const shown = await sentence(page);
    expect(shown).toBe(candidateSentence(before!));
    expect(shown).toContain('no compared document has a reviewer\'s decision yet');
    console.log(`[candidates] before any decision: ${shown}`);

    // A shadowed document the primary sent to review: accept it in the console.
    const reviewed = comparisons.find((c) => c.shadow !== null && c.primary.route === 'review' && fixture.console.state.item(c.document_id));
    expect(reviewed, 'a shadowed document in review').toBeDefined();
    await page.goto(`${url}/items/${encodeURIComponent(reviewed!.document_id)}`);
    await Promise.all([page.waitForURL(/done=accepted/), page.keyboard.press('a')]); // on to the next item
    await waitUntil(() => decision(reviewed!.document_id) !== undefined, 15_000, 'the decision to be read back');

    const [after] = candidateStats(comparisons, decision);
    const right = reviewed!.shadow!.category === reviewed!.primary.category ? '100 %' : '0 %';
    const shownAfter = await sentence(page);
    expect(shownAfter).toBe(candidateSentence(after!));
    expect(shownAfter).toContain(`on 1 reviewed document it is right ${right} vs 100 % for the primary`);
    console.log(`[candidates] after accepting ${reviewed!.document_id}: ${shownAfter}`);
    await page.context().close();
  });
});
