/**
 * The Candidates page in a real browser (Debian's chromium) on the real broker: known
 * ShadowComparison records on a fresh documents.shadow (one key written twice: the latest
 * counts), decisions on a fresh documents.review.decisions and one review item, read by a console
 * in this process; a viewer opens the page and checks the numbers, the sentence and a link to a
 * disagreeing document. Writes the Candidates screenshot.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReviewDecision, ShadowAnswer, ShadowComparison } from '../../src/contracts/index.ts';
import type { Config } from '../../src/config.ts';
import { screenshot, signIn } from '../support/browser.ts';
import type { TestKafka } from '../support/kafka.ts';
import { openConsoleFixture, PASSWORDS, produceReviewItems, reviewItem, type ConsoleFixture } from '../support/review.ts';

let fixture: ConsoleFixture;
let browser: Browser;
let url: string;

const answer = (category: string, cost: number): ShadowAnswer => ({
  models: ['m'], prompt_version: 'p1', category, confidence: 0.8, entities: { people: [], organizations: [], dates: [], topics: [] },
  summary: 'A summary.', route: 'enriched', partial: false, cost_usd: cost, latency_ms: 40,
});
const comparison = (id: string, primary: string, candidate: string, at: number): ShadowComparison => ({
  document_id: id, candidate: 'offline-small', threshold: 0.7, attempt: 1,
  primary: answer(primary, 0.001), shadow: answer(candidate, 0.0004),
  metrics: { category_agrees: primary === candidate, confidence_difference: 0, entities_f1: 1, summary_token_f1: 1, route_differs: false },
  timestamp: new Date(Date.UTC(2026, 11, 7, 8, 0, at)).toISOString(),
});
const decision = (id: string, kind: ReviewDecision['decision'], original: string, category?: string): ReviewDecision => ({
  decision_id: `dec-${id}`, document_id: id, decision: kind, reviewer: 'alice', decided_at: new Date().toISOString(),
  item: { topic: 'documents.review', partition: 0, offset: '0' }, original_category: original, original_confidence: 0.5,
  ...(category ? { category } : {}), review_reasons: ['LOW_CONFIDENCE'], ...(kind === 'rejected' ? { reject_reason: 'DUPLICATE' as const } : {}),
  output_topic: kind === 'rejected' ? 'documents.rejected' : 'documents.enriched',
});

/**
 * Ten documents: technology ×6 (cd-9 disagrees: finance), health ×4 (cd-10 disagrees: other) →
 * 80 % agreement, 5 of 6 and 3 of 4. Reviewed: cd-1 accepted (both right), cd-2 edited to science
 * (both wrong), cd-9 edited to finance (the candidate right), cd-6 rejected (left out) → 2 of 3
 * against 1 of 3. cd-10 waits in review: its row links to its item page.
 */
async function seed(tk: TestKafka, config: Config): Promise<void> {
  const docs: [string, string][] = [
    ['cd-1', 'technology'], ['cd-2', 'technology'], ['cd-3', 'technology'], ['cd-4', 'technology'], ['cd-5', 'technology'],
    ['cd-6', 'health'], ['cd-7', 'health'], ['cd-8', 'health'],
  ];
  const shadow = [
    comparison('cd-3', 'technology', 'science', 0), // replaced by the later record of the same key below
    ...docs.map(([id, c], i) => comparison(id, c, c, i + 1)),
    comparison('cd-9', 'technology', 'finance', 20), comparison('cd-10', 'health', 'other', 30),
  ];
  const decisions = [decision('cd-1', 'accepted', 'technology'), decision('cd-2', 'edited', 'technology', 'science'), decision('cd-9', 'edited', 'technology', 'finance'), decision('cd-6', 'rejected', 'health')];
  const producer = tk.kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic: config.topics.shadow, acks: -1, messages: shadow.map((c) => ({ key: `${c.document_id}/${c.candidate}`, value: JSON.stringify(c) })) });
    await producer.send({ topic: config.topics.reviewDecisions, acks: -1, messages: decisions.map((d) => ({ key: d.document_id, value: JSON.stringify(d) })) });
  } finally {
    await producer.disconnect();
  }
  await produceReviewItems(tk.kafka, config, [reviewItem('cd-10', { category: 'health', confidence: 0.4 })]);
}

beforeAll(async () => {
  fixture = await openConsoleFixture({}, seed);
  ({ browser, url } = fixture);
}, 120_000);

afterAll(async () => {
  await fixture?.close();
});

const EXPECTED_SENTENCE = 'offline-small agrees with the primary on 80 % of 10 documents at 40 % of the cost; on 3 reviewed documents it is right 67 % vs 33 % for the primary.';

describe('the Candidates page in a real browser', () => {
  it('shows a viewer the agreement by category, both accuracies, the costs, the sentence, and links a disagreeing document in review', async () => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    page.on('pageerror', (e) => {
      throw e;
    });
    await signIn(page, url, 'victor', PASSWORDS.victor, '/candidates');
    expect(await page.getAttribute('nav a[href="/candidates"]', 'aria-current')).toBe('page');
    const section = page.locator('section.candidate[data-candidate="offline-small"]');
    expect((await section.locator('.sentence').textContent())?.trim()).toBe(EXPECTED_SENTENCE);

    const rows = async (table: string) => section.locator(`table.${table} tbody tr`).evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => (c.textContent ?? '').trim())));
    expect(await rows('by-category')).toEqual([['technology', '6', '5', '83 %'], ['health', '4', '3', '75 %']]);
    expect(await rows('side-by-side')).toEqual([
      ['Same category as the primary', '–', '80 % (8 of 10)'],
      ['Right against reviewers', '33 % (1 of 3)', '67 % (2 of 3)'],
      ['Cost per 1,000 documents', '$1.0000', "$0.4000 (40 % of the primary's)"],
    ]);
    expect(await rows('disagreements')).toEqual([
      ['cd-10', 'health (0.80)', 'other (0.80)', '–', 'the same way'],
      ['cd-9', 'technology (0.80)', 'finance (0.80)', 'finance', 'the same way'],
    ]);
    // cd-9 is not in review: its id only. cd-10 is: a link to its item page.
    expect(await section.locator('table.disagreements code').allTextContents()).toEqual(['cd-9']);
    await screenshot(page, 'candidates');
    await Promise.all([page.waitForURL(/\/items\/cd-10$/), section.locator('a[href="/items/cd-10"]').click()]);
    expect(await page.textContent('h1')).toBeTruthy();
    await context.close();
  });
});
