/**
 * The chain runner (src/llm/chain/run-chain.ts): the order of the steps, usage over the whole
 * chain, resuming from an earlier attempt's progress, and which failures end the chain, which
 * make it partial. Built as src/app.ts builds it, around the scripted model.
 */
import { describe, expect, it } from 'vitest';
import type { ChainProgress } from '../../src/contracts/index.ts';
import { EnricherError, ErrorCodes } from '../../src/errors.ts';
import type { StepUsage } from '../../src/llm/chain/call-step.ts';
import { gateInput, qualityGate } from '../../src/pipeline/gate.ts';
import { buildChain, ctx, failed, okResult, priceOf } from '../support/chain.ts';
import { ENTITIES, FIXTURE_DOC as doc, MODEL, scriptedModel } from '../support/scripted-model.ts';

describe('run-chain: the steps in order', () => {
  it('calls extract, then summarize, then classify, each once', async () => {
    const { chain, model } = buildChain();
    okResult(await chain(doc, ctx));
    expect(model.requests.map((r) => r.step)).toEqual(['extract', 'summarize', 'classify']);
    expect(model.requests.map((r) => r.schemaName)).toEqual(['extract', 'summarize', 'classify']);
    for (const r of model.requests) {
      expect(r.documentId).toBe('doc-1');
      expect(r.maxOutputTokens).toBe(600);
    }
  });

  it('adds up usage across the three calls', async () => {
    const { chain, events } = buildChain();
    const r = okResult(await chain(doc, ctx));
    const expectedCost = priceOf('extract') + priceOf('summarize') + priceOf('classify');
    expect(r.usage).toMatchObject({ calls: 3, cachedCalls: 0, inputTokens: 450, outputTokens: 100 });
    expect(r.usage.costUsd).toBeCloseTo(expectedCost, 12);
    // Independent of the table: 100/50, 200/40, 150/10 tokens at $0.00015 / $0.0006 per 1K.
    expect(r.usage.costUsd).toBeCloseTo(0.0001275, 12);
    expect(r.usage.costUsd).toBeCloseTo(events.reduce((s, e) => s + e.cost_usd, 0), 12);
    expect(r.progress.extract!.usage.calls + r.progress.summarize!.usage.calls + r.progress.classify!.usage.calls).toBe(3);
  });
});

describe('run-chain: resume and failures', () => {
  const usage = (calls: number, costUsd: number): StepUsage => ({ calls, cachedCalls: 0, inputTokens: 10 * calls, outputTokens: calls, costUsd });

  it('resumes from prior progress without asking for the finished steps', async () => {
    const { chain, events, model } = buildChain();
    const prior: ChainProgress = {
      extract: { entities: { ...ENTITIES, people: ['Charles Babbage'] }, usage: usage(1, 0.001), model: MODEL },
      summarize: { summary: 'A summary from the first attempt.', usage: usage(1, 0.002), model: MODEL },
    };
    const r = okResult(await chain(doc, { documentId: doc.id, attempt: 2 }, prior));
    expect(model.requests.map((r) => r.step)).toEqual(['classify']);
    expect(model.requests[0]!.messages.user).toContain('A summary from the first attempt.');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ step: 'classify', attempt: 2 });
    expect((r.outputs.entities as typeof ENTITIES).people).toEqual(['Charles Babbage']);
    // The result's usage covers the whole chain, the earlier attempt's steps included.
    expect(r.usage.calls).toBe(3);
    expect(r.usage.costUsd).toBeCloseTo(0.003 + priceOf('classify'), 12);
  });

  it('resumes after extract only, feeding the prior entities to summarize', async () => {
    const { chain, model } = buildChain();
    const prior: ChainProgress = { extract: { entities: { ...ENTITIES, people: ['Charles Babbage'] }, usage: usage(1, 0), model: MODEL } };
    okResult(await chain(doc, { documentId: doc.id, attempt: 2 }, prior));
    expect(model.requests.map((r) => r.step)).toEqual(['summarize', 'classify']);
    expect(model.requests[0]!.messages.user).toContain('Charles Babbage');
    expect(model.requests[0]!.messages.user).toContain('People: Charles Babbage\n');
    expect(model.requests[0]!.input).toMatchObject({ entities: { people: ['Charles Babbage'] } });
  });

  it('does not change the caller\'s prior progress object', async () => {
    const { chain } = buildChain();
    const prior: ChainProgress = { extract: { entities: ENTITIES, usage: usage(1, 0), model: MODEL } };
    okResult(await chain(doc, ctx, prior));
    expect(Object.keys(prior)).toEqual(['extract']);
  });

  it('goes on without entities after a permanent extract error, and marks the result partial', async () => {
    const { chain, model } = buildChain();
    model.errors.extract = new EnricherError('the model refused', { code: ErrorCodes.LLM_REFUSED, stage: 'extract', retriable: false });
    const r = okResult(await chain(doc, ctx));
    expect(model.requests.map((q) => q.step)).toEqual(['extract', 'summarize', 'classify']);
    expect(model.requests[1]!.messages.user).toContain('(none)');
    expect(model.requests[1]!.input).toMatchObject({ entities: { people: [], organizations: [], dates: [], topics: [] } });
    expect(r.partial).toBe(true);
    expect(r.progress.extract?.failed).toEqual({ code: 'LLM_REFUSED', message: 'the model refused' });
    const d = qualityGate(gateInput(r), 0.8);
    expect(d.route === 'review' && d.reasons.map((x) => x.code)).toEqual(['PARTIAL_CHAIN']);
  });

  it('keeps the result partial when resuming from a failed extraction', async () => {
    const { chain, model } = buildChain();
    const prior: ChainProgress = {
      extract: {
        entities: { people: [], organizations: [], dates: [], topics: [] },
        usage: usage(0, 0),
        model: '',
        failed: { code: 'LLM_REFUSED', message: 'no' },
      },
    };
    const r = okResult(await chain(doc, { documentId: doc.id, attempt: 2 }, prior));
    expect(model.requests.map((q) => q.step)).toEqual(['summarize', 'classify']);
    expect(r.partial).toBe(true);
  });

  it('returns a retriable summarize error with the progress made so far', async () => {
    const model = scriptedModel();
    const rateLimited = new EnricherError('429', { code: ErrorCodes.LLM_RATE_LIMITED, stage: 'summarize', retriable: true, retryAfterMs: 3000 });
    model.errors.summarize = rateLimited;
    const { chain } = buildChain({ model });
    const { error, progress } = failed(await chain(doc, ctx));
    expect(error).toBe(rateLimited);
    expect(error.retriable).toBe(true);
    expect(Object.keys(progress)).toEqual(['extract']);
    expect(progress.extract?.entities).toEqual(ENTITIES);
    expect(progress.extract?.usage.calls).toBe(1);
    expect(model.requests.map((q) => q.step)).toEqual(['extract', 'summarize']);
  });

  it('picks up after a failed summarize with the returned progress, paying for extract once', async () => {
    const { chain, events, model } = buildChain();
    model.errors.summarize = new EnricherError('503', { code: ErrorCodes.LLM_SERVER_ERROR, stage: 'summarize', retriable: true });
    const first = failed(await chain(doc, ctx));
    delete model.errors.summarize;
    const r = okResult(await chain(doc, { documentId: doc.id, attempt: 2 }, first.progress));
    expect(model.requests.map((q) => q.step)).toEqual(['extract', 'summarize', 'summarize', 'classify']);
    expect(events.map((e) => `${e.step}#${e.attempt}`)).toEqual(['extract#1', 'summarize#2', 'classify#2']);
    expect(r.usage.calls).toBe(3);
  });

  it('does not swallow a service-scope extract error as a partial result', async () => {
    const model = scriptedModel();
    model.errors.extract = new EnricherError('401 invalid key', {
      code: ErrorCodes.LLM_AUTH,
      stage: 'extract',
      retriable: false,
      scope: 'service',
    });
    const { chain } = buildChain({ model });
    const { error, progress } = failed(await chain(doc, ctx));
    expect(error.code).toBe(ErrorCodes.LLM_AUTH);
    expect(error.scope).toBe('service');
    expect(progress).toEqual({});
    expect(model.requests.map((q) => q.step)).toEqual(['extract']);
  });

  it('does not swallow a retriable extract error either', async () => {
    const { chain, model } = buildChain();
    model.errors.extract = new EnricherError('timeout', { code: ErrorCodes.LLM_TIMEOUT, stage: 'extract', retriable: true });
    const { error, progress } = failed(await chain(doc, ctx));
    expect(error.code).toBe(ErrorCodes.LLM_TIMEOUT);
    expect(progress).toEqual({});
  });

  it('turns a foreign error into a transient INTERNAL error of the failing step (unexplained is not the document\'s fault)', async () => {
    const { chain, model } = buildChain();
    model.errors.classify = new TypeError('cannot read properties of undefined');
    const { error, progress } = failed(await chain(doc, ctx));
    expect(error).toBeInstanceOf(EnricherError);
    expect(error.code).toBe(ErrorCodes.INTERNAL);
    expect(error.stage).toBe('classify');
    expect(error.retriable).toBe(true);
    expect(error.message).toContain('cannot read properties');
    expect(Object.keys(progress).sort()).toEqual(['extract', 'summarize']);
  });
});
