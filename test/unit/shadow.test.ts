import { describe, expect, it, onTestFinished } from 'vitest';
import { DEFAULT_CATEGORIES, loadConfig } from '../../src/config.ts';
import { ShadowComparison, type CostEvent } from '../../src/contracts/index.ts';
import { ConfigError } from '../../src/errors.ts';
import { createStepCaller } from '../../src/llm/chain/call-step.ts';
import { createChainRunner, type ChainResult, type ChainRunner } from '../../src/llm/chain/run-chain.ts';
import { offlineAnswersOf } from '../../src/llm/chain/step.ts';
import { bundledPromptSet, chainSteps } from '../../src/llm/chain/steps/index.ts';
import { createLocalLimiter } from '../../src/llm/limiter/local-pool.ts';
import { watchWaiting } from '../../src/llm/limiter/waiting-watch.ts';
import { createOfflineProvider } from '../../src/llm/offline/offline-provider.ts';
import { OFFLINE_SMALL_MODEL, smallModelAnswer } from '../../src/llm/offline/small-model.ts';
import { createPricing } from '../../src/llm/pricing.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { compareAnswers, entitiesF1, multisetF1, summaryTokenF1 } from '../../src/pipeline/shadow/shadow-metrics.ts';
import { createShadowRunner, shadowPausedError, type PrimaryResult, type ShadowRunnerDeps } from '../../src/pipeline/shadow/shadow-runner.ts';
import { samplePoint, shadowPicks } from '../../src/pipeline/shadow/shadow-sample.ts';
import { candidateName, createProcessorShadow } from '../../src/processes/processor-shadow.ts';
import { sampleCorpus } from '../support/docs.ts';
import { configErrorMessage } from '../support/config-error.ts';

const none = { people: [], organizations: [], dates: [], topics: [] };

describe('shadow settings', () => {
  const fail = configErrorMessage;

  it('are off without SHADOW_MODEL and SHADOW_PROMPTS_DIR, and either turns the shadow on', () => {
    expect(loadConfig({}).shadow).toBeUndefined();
    const c = loadConfig({ SHADOW_MODEL: 'offline-small', LLM_MODEL_CLASSIFY: 'gpt-4.1' });
    expect(c.shadow).toMatchObject({ models: { extract: 'offline-small', summarize: 'offline-small', classify: 'offline-small' }, ownPrompts: false, sample: 0.1, budgetShare: 0.1 });
    expect(c.shadow!.promptsDir).toBe(c.llm.promptsDir);
    const p = loadConfig({ SHADOW_PROMPTS_DIR: 'prompts', LLM_MODEL_CLASSIFY: 'gpt-4.1', SHADOW_SAMPLE: '1', SHADOW_BUDGET_SHARE: '0.25' });
    expect(p.shadow).toMatchObject({ models: { extract: 'gpt-4o-mini', classify: 'gpt-4.1' }, ownPrompts: true, sample: 1, budgetShare: 0.25 });
    expect(candidateName(c.shadow!, 'abc')).toBe('offline-small');
    expect(candidateName(p.shadow!, 'abc')).toBe('gpt-4o-mini+gpt-4.1@abc');
  });

  it('stop the processor on a bad SHADOW_PROMPTS_DIR, naming it', () => {
    const c = loadConfig({ SHADOW_PROMPTS_DIR: '/nonexistent/prompts-v2' });
    const deps = { config: c, logger: silentLogger() } as unknown as Parameters<typeof createProcessorShadow>[0];
    expect(() => createProcessorShadow(deps)).toThrow(ConfigError);
    expect(() => createProcessorShadow(deps)).toThrow(/invalid prompts \(SHADOW_PROMPTS_DIR=\/nonexistent\/prompts-v2\)/);
    expect(createProcessorShadow({ ...deps, config: loadConfig({}) })).toBeUndefined();
  });

  it('name a bad value, or a share set while the shadow is off', () => {
    expect(fail({ SHADOW_MODEL: 'x', SHADOW_SAMPLE: '0' })).toMatch(/SHADOW_SAMPLE: must be above 0/);
    expect(fail({ SHADOW_MODEL: 'x', SHADOW_SAMPLE: '1.5' })).toMatch(/SHADOW_SAMPLE: must be at most 1/);
    expect(fail({ SHADOW_MODEL: 'x', SHADOW_BUDGET_SHARE: 'half' })).toMatch(/SHADOW_BUDGET_SHARE/);
    expect(fail({ SHADOW_BUDGET_SHARE: '0.2' })).toMatch(/SHADOW_BUDGET_SHARE: only applies with SHADOW_MODEL or SHADOW_PROMPTS_DIR/);
  });
});

describe('the shadow\'s sample', () => {
  const ids = Array.from({ length: 4000 }, (_, i) => `doc-${i}`);

  it('depends on the document id alone: the same ids are picked every time (a replay picks the same)', () => {
    const once = ids.filter((id) => shadowPicks(id, 0.25));
    const again = ids.filter((id) => shadowPicks(id, 0.25));
    expect(again).toEqual(once);
    expect(samplePoint('doc-7')).toBe(samplePoint('doc-7'));
    // The first documents' picks, pinned: a change of the hash would re-pick every sample.
    expect(ids.slice(0, 12).filter((id) => shadowPicks(id, 0.25))).toMatchInlineSnapshot(`
      [
        "doc-7",
        "doc-10",
      ]
    `);
  });

  it('picks about the share asked for, a larger sample a superset of a smaller one, and all at 1', () => {
    const quarter = ids.filter((id) => shadowPicks(id, 0.25));
    expect(quarter.length / ids.length).toBeGreaterThan(0.22);
    expect(quarter.length / ids.length).toBeLessThan(0.28);
    const half = new Set(ids.filter((id) => shadowPicks(id, 0.5)));
    expect(quarter.every((id) => half.has(id))).toBe(true);
    expect(ids.every((id) => shadowPicks(id, 1))).toBe(true);
  });
});

describe('the shadow\'s metrics', () => {
  it('F1 of multisets: both empty is agreement, one empty is none, repeats count once each', () => {
    expect(multisetF1([], [])).toBe(1);
    expect(multisetF1(['a'], [])).toBe(0);
    expect(multisetF1(['a', 'b'], ['a', 'b'])).toBe(1);
    // 1 common of 2 and of 4: P 0.5, R 0.25, F1 1/3.
    expect(multisetF1(['a', 'x'], ['a', 'b', 'c', 'd'])).toBe(0.3333);
    expect(multisetF1(['the', 'the', 'cat'], ['the', 'cat', 'sat'])).toBe(0.6667);
  });

  it('entities by type and lower-cased name; summaries by lower-cased words', () => {
    const primary = { people: ['Maria Alvarez', 'John Smith'], organizations: ['Goldman Sachs'], dates: ['2024'], topics: [] };
    expect(entitiesF1({ ...none, people: ['maria  alvarez'] }, primary)).toBe(0.4);
    // The same name under another type is another entity.
    expect(entitiesF1({ ...none, organizations: ['Maria Alvarez'] }, { ...none, people: ['Maria Alvarez'] })).toBe(0);
    expect(entitiesF1(none, none)).toBe(1);
    expect(summaryTokenF1('Rates rose.', 'rates ROSE, and bonds fell')).toBe(0.5714);
    expect(summaryTokenF1('', '')).toBe(1);
  });

  it('compare two answers: agreement, the confidence difference, the route the other way', () => {
    const answer = { models: ['m'], prompt_version: 'v', category: 'finance', confidence: 0.9, entities: none, summary: 'a b', route: 'enriched' as const, partial: false, cost_usd: 0.001, latency_ms: 5 };
    expect(compareAnswers(answer, { ...answer, category: 'other', confidence: 0.4, route: 'review', summary: 'a' })).toEqual({
      category_agrees: false, confidence_difference: -0.5, entities_f1: 1, summary_token_f1: 0.6667, route_differs: true,
    });
    expect(compareAnswers(answer, { ...answer, confidence: null }).confidence_difference).toBeNull();
  });
});

describe('offline-small', () => {
  it('answers with fewer entities, a one-sentence summary and a classifier weighted towards other', () => {
    expect(smallModelAnswer('extract', { people: ['a', 'b', 'c'], organizations: [], dates: ['d'], topics: ['t1', 't2', 't3'] }))
      .toEqual({ people: ['a', 'b'], organizations: [], dates: ['d'], topics: ['t1', 't2'] });
    expect(smallModelAnswer('summarize', { summary: 'First one. Second one.' })).toEqual({ summary: 'First one.' });
    const weak = smallModelAnswer('classify', { category: 'finance', confidence: 0.5, scores: [{ category: 'finance', score: 0.4 }, { category: 'other', score: 0.35 }, { category: 'sport', score: 0.25 }] }) as { category: string };
    expect(weak.category).toBe('other');
    const clear = smallModelAnswer('classify', { category: 'finance', confidence: 0.9, scores: [{ category: 'finance', score: 0.8 }, { category: 'other', score: 0.2 }] }) as { category: string; confidence: number };
    expect(clear.category).toBe('finance');
    expect(clear.confidence).toBeLessThan(0.9);
    expect(smallModelAnswer('translate', { x: 1 })).toEqual({ x: 1 });
  });

  it('is asked for by name through the offline provider, and priced below the default offline model', async () => {
    const events: CostEvent[] = [];
    const run = offlineChain({ extract: OFFLINE_SMALL_MODEL, summarize: OFFLINE_SMALL_MODEL, classify: OFFLINE_SMALL_MODEL }, events);
    const primary = offlineChain(undefined, []);
    let differs = 0;
    for (const doc of sampleCorpus().slice(0, 6)) {
      const small = await run(doc, { documentId: doc.id, attempt: 1 });
      const big = await primary(doc, { documentId: doc.id, attempt: 1 });
      expect(small.ok && big.ok).toBe(true);
      if (!small.ok || !big.ok) continue;
      expect(small.result.usage.costUsd).toBeLessThan(big.result.usage.costUsd);
      expect(String(small.result.outputs.summary).length).toBeLessThanOrEqual(String(big.result.outputs.summary).length);
      if (JSON.stringify(small.result.outputs) !== JSON.stringify(big.result.outputs)) differs++;
    }
    expect(differs).toBeGreaterThan(0);
    expect(new Set(events.map((e) => e.model))).toEqual(new Set([OFFLINE_SMALL_MODEL]));
    expect(events.every((e) => e.price_source === 'table')).toBe(true);
  });
});

function offlineChain(models: Record<string, string> | undefined, events: CostEvent[], slots = 4): ChainRunner {
  const steps = chainSteps({ categories: DEFAULT_CATEGORIES });
  const provider = createOfflineProvider({ model: 'gpt-4o-mini', answers: offlineAnswersOf(steps) });
  const limiter = createLocalLimiter({ slots, logger: silentLogger() });
  onTestFinished(() => limiter.stop());
  const callStep = createStepCaller({
    provider, limiter, pricing: createPricing({ logger: silentLogger() }), costs: { emit: async (e) => void events.push(e) },
    promptVersion: bundledPromptSet().version, models, maxOutputTokens: 600, instanceId: 'i', logger: silentLogger(), metrics: createMetrics(),
  });
  return createChainRunner({ steps, callStep, logger: silentLogger() });
}

describe('the shadow runner', () => {
  const docs = sampleCorpus().slice(0, 8);
  async function primaries(): Promise<PrimaryResult[]> {
    const chain = offlineChain(undefined, []);
    const out: PrimaryResult[] = [];
    for (const doc of docs) {
      const r = await chain(doc, { documentId: doc.id, attempt: 1 });
      if (r.ok) out.push({ doc, result: r.result as ChainResult, route: 'enriched', threshold: 0.8, attempt: 1, latencyMs: 3, runId: undefined });
    }
    return out;
  }

  function runner(over: Partial<ShadowRunnerDeps> = {}) {
    const sent: ShadowComparison[] = [];
    const keys: string[] = [];
    const r = createShadowRunner({
      candidate: 'offline-small', chain: offlineChain({ extract: 'offline-small', summarize: 'offline-small', classify: 'offline-small' }, []), sample: 1,
      primaryPromptVersion: 'p', shadowPromptVersion: 's', maxInFlight: 2, maxBacklog: 100, poolTight: () => false, paused: () => undefined,
      topic: 'documents.shadow', encode: (_t, v) => Buffer.from(JSON.stringify(v)),
      writer: { start: async () => undefined, stop: async () => undefined, send: async (m) => { keys.push(String(m.key)); sent.push(ShadowComparison.parse(JSON.parse(String(m.value)))); } },
      logger: silentLogger(), retryMs: 5, ...over,
    });
    return { r, sent, keys };
  }
  const until = async (check: () => boolean, ms = 5_000) => {
    const end = Date.now() + ms;
    while (!check()) {
      if (Date.now() > end) throw new Error('timed out');
      await new Promise((res) => setTimeout(res, 5));
    }
  };

  it('offers return at once; each sampled document gets one comparison under <doc id>/<candidate>, never more than maxInFlight at once', async () => {
    const ps = await primaries();
    const { r, sent, keys } = runner({ sample: 0.5 });
    const t0 = performance.now();
    for (const p of ps) r.offer(p);
    expect(performance.now() - t0).toBeLessThan(50);
    const picked = ps.filter((p) => shadowPicks(p.doc.id, 0.5));
    await until(() => sent.length === picked.length);
    expect(keys.sort()).toEqual(picked.map((p) => `${p.doc.id}/offline-small`).sort());
    expect(r.stats().peakInFlight).toBeLessThanOrEqual(2);
    for (const s of sent) {
      expect(s.shadow!.models).toEqual(['offline-small']);
      expect(s.primary.models).toEqual(['gpt-4o-mini']);
      expect(s.metrics!.summary_token_f1).toBeGreaterThan(0);
    }
    await r.stop();
  });

  it('waits while the primary waits for a pool slot, and skips while paused (the budget), writing nothing then', async () => {
    const ps = await primaries();
    let tight = true;
    const { r, sent } = runner({ poolTight: () => tight });
    r.offer(ps[0]!);
    await new Promise((res) => setTimeout(res, 60));
    expect(sent).toHaveLength(0);
    tight = false;
    await until(() => sent.length === 1);
    let why: string | undefined = 'its share of the daily budget is spent';
    const paused = runner({ paused: () => why });
    for (const p of ps) paused.r.offer(p);
    await new Promise((res) => setTimeout(res, 30));
    expect(paused.sent).toHaveLength(0);
    expect(paused.r.stats().skipped.budget).toBe(ps.length);
    why = undefined;
    paused.r.offer(ps[0]!);
    await until(() => paused.sent.length === 1);
    await r.stop();
    await paused.r.stop();
  });

  it('a paused call ends the candidate\'s document unwritten; a failing writer loses the comparison, never throws into offer', async () => {
    const ps = await primaries();
    const stop: ChainRunner = async () => { throw shadowPausedError('budget', 'extract'); };
    const a = runner({ chain: stop });
    a.r.offer(ps[0]!);
    await until(() => a.r.stats().skipped.budget === 1);
    expect(a.sent).toHaveLength(0);
    const b = runner({ writer: { start: async () => undefined, stop: async () => undefined, send: async () => { throw new Error('broker away'); } } });
    expect(() => b.r.offer(ps[0]!)).not.toThrow();
    await until(() => b.r.stats().lost === 1);
    await a.r.stop();
    await b.r.stop();
  });
});

describe('the pool as the primary sees it', () => {
  it('counts the primary\'s calls waiting for a slot', async () => {
    const pool = createLocalLimiter({ slots: 1, logger: silentLogger() });
    onTestFinished(() => pool.stop());
    const w = watchWaiting(pool);
    let release!: () => void;
    const first = w.limiter.schedule(1, () => new Promise<void>((r) => (release = r)));
    const second = w.limiter.schedule(1, async () => undefined);
    await new Promise((r) => setTimeout(r, 5));
    expect(w.waiting()).toBe(1);
    release();
    await Promise.all([first, second]);
    expect(w.waiting()).toBe(0);
  });
});


describe('the processor\'s shadow, wired (processor-shadow.ts)', () => {
  async function wired(env: Record<string, string>, status: { budgetUsd: number | undefined; exceeded?: boolean }) {
    const config = loadConfig({ LLM_PROVIDER: 'offline', SHADOW_MODEL: 'offline-small', SHADOW_SAMPLE: '1', ...env });
    const steps = chainSteps({ categories: DEFAULT_CATEGORIES });
    const provider = createOfflineProvider({ model: 'gpt-4o-mini', answers: offlineAnswersOf(steps) });
    const limiter = createLocalLimiter({ slots: 4, logger: silentLogger() });
    onTestFinished(() => limiter.stop());
    let waiting = 0;
    const events: CostEvent[] = [];
    const sent: unknown[] = [];
    const llm = {
      provider: Object.assign(provider, { probe: async () => undefined }), limiter, pricing: createPricing({ logger: silentLogger() }), promptVersion: 'p',
      poolWaiting: () => waiting, costs: { emit: async (e: CostEvent) => void events.push(e) },
    };
    const budget = { guard: { status: () => ({ day: new Date().toISOString().slice(0, 10), spendUsd: 0, heldCalls: 0, exceeded: status.exceeded ?? false, budgetUsd: status.budgetUsd }) }, shadowSpend: () => 0n };
    const producer = { connect: async () => undefined, disconnect: async () => undefined, sendBatch: async (b: { topicMessages: unknown[] }) => void sent.push(...b.topicMessages) };
    const shadow = createProcessorShadow({
      config, logger: silentLogger(), metrics: createMetrics(), kafka: { producer: () => producer } as never, encode: (_t, v) => Buffer.from(JSON.stringify(v)),
      llm: llm as never, budget: budget as never,
    })!;
    await shadow.start();
    onTestFinished(() => shadow.stop());
    const chain = offlineChain(undefined, []);
    const offer = async (doc: ReturnType<typeof sampleCorpus>[number]) => {
      const r = await chain(doc, { documentId: doc.id, attempt: 1 });
      if (r.ok) shadow.offer({ doc, result: r.result, route: 'enriched', threshold: 0.8, attempt: 1, latencyMs: 1, runId: undefined });
    };
    return { shadow, events, sent, offer, setWaiting: (n: number) => (waiting = n) };
  }

  it('marks its cost events shadow, and asks for no slot while a primary call waits for one', async () => {
    const w = await wired({}, { budgetUsd: undefined });
    w.setWaiting(1);
    await w.offer(sampleCorpus()[0]!);
    await new Promise((r) => setTimeout(r, 150));
    expect(w.events).toHaveLength(0);
    w.setWaiting(0);
    await w.shadow.drained(5_000);
    expect(w.events.map((e) => [e.step, e.model, e.shadow])).toEqual([['extract', 'offline-small', true], ['summarize', 'offline-small', true], ['classify', 'offline-small', true]]);
    expect(w.shadow.stats().written).toBe(1);
  });

  it('stops at SHADOW_BUDGET_SHARE of the daily budget (overshoot under one call), and at once when the day\'s budget is reached', async () => {
    const w = await wired({ DAILY_BUDGET_USD: '1', SHADOW_BUDGET_SHARE: '0.0002' }, { budgetUsd: 1 });
    for (const doc of sampleCorpus().slice(0, 6)) await w.offer(doc);
    await w.shadow.drained(10_000);
    const spent = w.events.reduce((n, e) => n + e.cost_usd, 0);
    const maxCall = Math.max(...w.events.map((e) => e.cost_usd));
    expect(spent).toBeGreaterThanOrEqual(0.0002);
    expect(spent - 0.0002).toBeLessThanOrEqual(maxCall);
    expect(w.shadow.stats().skipped.budget).toBeGreaterThan(0);
    const reached = await wired({ DAILY_BUDGET_USD: '1' }, { budgetUsd: 1, exceeded: true });
    await reached.offer(sampleCorpus()[0]!);
    await reached.shadow.drained(2_000);
    expect(reached.events).toHaveLength(0);
    expect(reached.shadow.stats().skipped.budget).toBe(1);
  });
});
