/**
 * The daily budget against the real broker and the real SDK: an expensive model (gpt-4) and a
 * budget of a few cents. The processor must stop starting calls once the budget is reached
 * (overshoot at most the calls on the wire), leave the rest of documents.raw uncommitted,
 * raise each alert once, and resume without a restart when `enricher config set` raises the
 * budget.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { PRICE_TABLE } from '../../src/llm/pricing.ts';
import type { BudgetAlert } from '../../src/contracts/index.ts';
import { picoToUsd, usdToPico } from '../../src/costs/money.ts';
import { storeSetting } from '../../src/settings/settings-topic.ts';
import { startTestAggregator } from '../support/aggregator.ts';
import { doc, startHarness } from '../support/harness.ts';
import { jsonValue, readTopics } from '../support/kafka.ts';
import { sleep, waitUntil } from '../support/time.ts';

const BUDGET = 0.05;
const SLOTS = 2;
const DOCS = 12;

describe('daily budget', () => {
  it('stops starting calls at the budget, keeps the rest uncommitted, and resumes when the budget is raised', async () => {
    const h = await startHarness(
      // A short shutdown timeout: held documents are handed back uncommitted when the test ends.
      { LLM_MODEL: 'gpt-4', LLM_POOL_SLOTS: String(SLOTS), DAILY_BUDGET_USD: String(BUDGET), COST_FLUSH_INTERVAL: '200ms', SHUTDOWN_TIMEOUT: '1s', TOPIC_PARTITIONS: '2' },
      { latencyMs: 150 },
    );
    onTestFinished(() => h.close());
    const { server, config, app, tk } = h;
    const aggregator = await startTestAggregator(config, tk.kafka, () => app.settings.dailyBudgetUsd());
    const ids = Array.from({ length: DOCS }, (_, i) => `b-${i}`);
    await h.produce(ids.map((id) => doc(id, `Acme Corp reported results on 12 March 2026; Jane Smith of Globex Bank commented at length on the outlook for ${id}. @confidence=0.95`)));

    await waitUntil(() => app.intake.reasons().includes('budget'), 30_000, 'the budget pause');
    // Let the calls that were on the wire finish, and any that should not have started show up.
    await waitUntil(() => server.stats().inFlight === 0, 10_000, 'the calls in flight to finish');
    await sleep(1500);

    const price = PRICE_TABLE['gpt-4']!;
    const cost = (r: { promptTokens: number; completionTokens: number }) =>
      BigInt(r.promptTokens) * usdToPico(price.inputPer1k / 1000) + BigInt(r.completionTokens) * usdToPico(price.outputPer1k / 1000);
    const billed = server.requests().filter((r) => r.billed).sort((a, b) => a.at + a.durationMs - (b.at + b.durationMs));
    let spent = 0n;
    let reachedAt = -1;
    for (const [i, r] of billed.entries()) {
      spent += cost(r);
      if (reachedAt < 0 && spent >= usdToPico(BUDGET)) reachedAt = i;
    }
    const overshootCalls = billed.length - 1 - reachedAt;
    const maxCall = billed.reduce((m, r) => (cost(r) > m ? cost(r) : m), 0n);
    console.log(`[budget] $${BUDGET} budget: ${billed.length} calls, $${picoToUsd(spent).toFixed(6)} spent, ${overshootCalls} call(s) finished after the budget was reached (pool ${SLOTS})`);
    expect(reachedAt).toBeGreaterThanOrEqual(0);
    expect(overshootCalls).toBeLessThanOrEqual(SLOTS - 1);
    expect(spent - usdToPico(BUDGET)).toBeLessThanOrEqual(BigInt(SLOTS) * maxCall);
    expect(server.stats().totalRequests).toBe(billed.length);
    expect(app.budget.guard.status()).toMatchObject({ exceeded: true, budgetUsd: BUDGET });

    // What was not processed is still in documents.raw: the group's committed offsets are short of the end.
    const outputs = await readTopics(tk.kafka, [config.topics.enriched, config.topics.review], { quietMs: 1000 });
    expect(outputs.length).toBeLessThan(DOCS);
    const committed = (await tk.admin.fetchOffsets({ groupId: config.kafka.groupId, topics: [config.topics.raw] }))[0]!.partitions;
    const ends = await tk.admin.fetchTopicOffsets(config.topics.raw);
    const sum = (xs: { offset: string }[]) => xs.reduce((n, x) => n + Math.max(0, Number(x.offset)), 0);
    expect(sum(committed)).toBeLessThan(sum(ends.map((e) => ({ offset: e.high }))));
    expect(sum(committed)).toBe(outputs.length);

    // Each alert once, from the aggregator.
    await waitUntil(async () => (await readTopics(tk.kafka, [config.topics.budgetAlerts], { quietMs: 500 })).length >= 2, 10_000, 'the budget alerts');

    // Raising the budget the way `enricher config set daily_budget_usd 10` does resumes, without a restart.
    await storeSetting(tk.kafka, config, 'daily_budget_usd', '10');
    await waitUntil(() => app.settings.dailyBudgetUsd() === 10, 10_000, 'the new budget to arrive');
    const all = await readTopics(tk.kafka, [config.topics.enriched, config.topics.review], { until: (r) => r.length >= DOCS, timeoutMs: 30_000 });
    expect(all.map((r) => r.key).sort()).toEqual([...ids].sort());
    expect(app.intake.isPaused()).toBe(false);

    await aggregator.flush();
    const alerts = (await readTopics(tk.kafka, [config.topics.budgetAlerts], { quietMs: 500 })).map((r) => jsonValue<BudgetAlert>(r));
    expect(alerts.map((a) => a.level).sort()).toEqual(['exceeded', 'warning']);
    expect(alerts.every((a) => a.budget_usd === BUDGET)).toBe(true);
    expect(alerts.find((a) => a.level === 'exceeded')!.spend_usd).toBeGreaterThanOrEqual(BUDGET);
  });
});
