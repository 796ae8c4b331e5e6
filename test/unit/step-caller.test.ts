/**
 * The step caller (src/llm/chain/call-step.ts) around each call: the abort signal, the result
 * cache, the beforeCall hook (where the budget guard holds calls), an abandoned document, and
 * the shared limiter's slots.
 */
import { describe, expect, it } from 'vitest';
import type { CallContext } from '../../src/llm/chain/call-step.ts';
import { bundledPromptSet } from '../../src/llm/chain/steps/index.ts';
import { createMemoryCache } from '../../src/llm/cache/result-cache.ts';
import { EnricherError, ErrorCodes } from '../../src/errors.ts';
import { buildChain, counterTotal, ctx, failed, okResult } from '../support/chain.ts';
import { CLASSIFICATION, ENTITIES, FIXTURE_DOC as doc, SUMMARY, scriptedModel } from '../support/scripted-model.ts';
import { timerRounds, turns, waitUntil } from '../support/time.ts';

describe('step caller: the call', () => {
  it('passes the abort signal on to the provider', async () => {
    const { chain, model } = buildChain();
    const signal = new AbortController().signal;
    okResult(await chain(doc, { ...ctx, signal }));
    expect(model.requests.every((r) => r.signal === signal)).toBe(true);
  });
});

describe('step caller: result cache', () => {
  it('answers an identical second run from the cache: no calls, no cost, three cached calls', async () => {
    const model = scriptedModel();
    const cache = createMemoryCache(100);
    const { chain, events, metrics } = buildChain({ model, cache });
    const first = okResult(await chain(doc, ctx));
    expect(model.requests).toHaveLength(3);
    const second = okResult(await chain(doc, { documentId: doc.id, attempt: 1 }));
    expect(model.requests).toHaveLength(3);
    expect(events).toHaveLength(3);
    expect(second.usage).toEqual({ calls: 0, cachedCalls: 3, inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, reasoningTokens: 0, costUsd: 0 });
    expect(second.outputs.classification).toEqual(first.outputs.classification);
    expect(second.progress.summarize?.summary).toBe(SUMMARY);
    expect(second.progress.extract?.entities).toEqual(ENTITIES);
    expect(await counterTotal(metrics.llmCacheHits)).toBe(3);
  });

  it('misses for another prompt version, and for another document text', async () => {
    const model = scriptedModel();
    const cache = createMemoryCache(100);
    const a = buildChain({ model, cache });
    const b = buildChain({ model, cache, promptVersion: `${bundledPromptSet().version}-next` });
    okResult(await a.chain(doc, ctx));
    const other = okResult(await b.chain(doc, ctx));
    expect(model.requests).toHaveLength(6);
    expect(other.usage.calls).toBe(3);
    expect(other.usage.cachedCalls).toBe(0);
    expect(b.events).toHaveLength(3);
    // Each version now has its own entries: both hit.
    expect(okResult(await a.chain(doc, ctx)).usage.cachedCalls).toBe(3);
    expect(okResult(await b.chain(doc, ctx)).usage.cachedCalls).toBe(3);
    expect(model.requests).toHaveLength(6);
    const changed = okResult(await a.chain({ ...doc, content: `${doc.content} More.` }, ctx));
    // extract and summarize see the new text and miss; classify's prompt is built from the
    // summary and entities only, which the fake answers identically, so it hits.
    expect(model.requests.slice(6).map((q) => q.step)).toEqual(['extract', 'summarize']);
    expect(changed.usage).toMatchObject({ calls: 2, cachedCalls: 1 });
  });

  it('does not cache a failed step', async () => {
    const model = scriptedModel();
    model.answers.classify = { ...CLASSIFICATION, category: 'astrology' };
    const cache = createMemoryCache(100);
    const { chain } = buildChain({ model, cache });
    failed(await chain(doc, ctx));
    model.answers.classify = CLASSIFICATION;
    const r = okResult(await chain(doc, ctx));
    // extract and summarize come from the cache; classify is asked again.
    expect(r.usage).toMatchObject({ calls: 1, cachedCalls: 2 });
    expect(model.requests.map((q) => q.step)).toEqual(['extract', 'summarize', 'classify', 'classify']);
  });
});

describe('step caller: beforeCall hook', () => {
  it('is awaited before every real call, and not called for cache hits', async () => {
    const model = scriptedModel();
    const log: string[] = [];
    model.onRequest = (req) => log.push(`call:${req.step}`);
    const seen: CallContext[] = [];
    const beforeCall = async (c: CallContext) => {
      seen.push(c);
      log.push('before');
      await turns(1);
      log.push('before-done');
    };
    const { chain } = buildChain({ model, cache: createMemoryCache(100), beforeCall });
    okResult(await chain(doc, ctx));
    expect(log).toEqual([
      'before', 'before-done', 'call:extract',
      'before', 'before-done', 'call:summarize',
      'before', 'before-done', 'call:classify',
    ]);
    expect(seen.every((c) => c.documentId === 'doc-1')).toBe(true);
    okResult(await chain(doc, ctx));
    expect(log).toHaveLength(9);
  });

  it('holds the call until it resolves (the budget guard waits here)', async () => {
    const model = scriptedModel();
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let calls = 0;
    const { chain } = buildChain({
      model,
      beforeCall: async () => {
        calls++;
        await held;
      },
    });
    const run = chain(doc, ctx);
    await turns(20);
    expect(calls).toBe(1);
    expect(model.requests).toHaveLength(0);
    release();
    okResult(await run);
    expect(model.requests).toHaveLength(3);
    expect(calls).toBe(3);
  });

  it('fails the step without a call when it throws', async () => {
    const budgetExhausted = new EnricherError('budget exhausted', { code: ErrorCodes.INTERNAL, stage: 'extract', retriable: true });
    const { chain, events, model } = buildChain({ beforeCall: () => Promise.reject(budgetExhausted) });
    const { error } = failed(await chain(doc, ctx));
    expect(error.message).toBe('budget exhausted');
    expect({ calls: model.requests.length, costEvents: events.length }).toEqual({ calls: 0, costEvents: 0 });
  });
});

describe('step caller: an abandoned document', () => {
  it('starts no new call once abandoned; the call that was on the wire finishes and is counted', async () => {
    const model = scriptedModel();
    let abandoned = false;
    // Abandoned while the extract call is on the wire.
    model.onRequest = (req) => {
      if (req.step === 'extract') abandoned = true;
    };
    const { chain, events } = buildChain({ model });
    const { error } = failed(await chain(doc, { ...ctx, abandoned: () => abandoned }));
    expect(error.code).toBe(ErrorCodes.ABANDONED);
    expect(model.requests.map((r) => r.step)).toEqual(['extract']);
    expect(events.map((e) => e.step)).toEqual(['extract']);
  });

  it('makes no call at all when abandoned before it starts', async () => {
    const { chain, events, model } = buildChain();
    const { error, progress } = failed(await chain(doc, { ...ctx, abandoned: () => true }));
    expect(error.code).toBe(ErrorCodes.ABANDONED);
    expect(progress.extract).toBeUndefined(); // not taken for a permanent extraction failure
    expect(model.requests).toHaveLength(0);
    expect(events).toHaveLength(0);
  });
});

describe('step caller: the shared limiter', () => {
  it('never has more calls on the wire than slots, with 20 documents at once', async () => {
    const model = scriptedModel();
    let open = false;
    const waiting: (() => void)[] = [];
    model.beforeAnswer = async () => {
      if (!open) await new Promise<void>((r) => waiting.push(r));
      // A few turns of the event loop per call, so calls overlap once the gate is open.
      await turns(3);
    };
    const { chain, events } = buildChain({ model, slots: 3 });
    const docs = Array.from({ length: 20 }, (_, i) => ({ ...doc, id: `doc-${i}`, content: `${doc.content} #${i}` }));
    const runs = docs.map((d) => chain(d, { documentId: d.id, attempt: 1 }));

    // Wait until the pool is full, then check nothing more starts.
    await waitUntil(() => model.active >= 3, 10_000, 'three calls on the wire', 1);
    expect(model.active).toBe(3);
    await timerRounds(20);
    expect(model.requests).toHaveLength(3);
    expect(model.active).toBe(3);

    open = true;
    for (const r of waiting.splice(0)) r();
    const outcomes = await Promise.all(runs);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(model.requests).toHaveLength(60);
    expect(events).toHaveLength(60);
    expect(model.maxActive).toBe(3);
    // Every document's three steps still ran in order.
    for (const d of docs) {
      expect(model.requests.filter((r) => r.documentId === d.id).map((r) => r.step)).toEqual(['extract', 'summarize', 'classify']);
    }
  });
});
