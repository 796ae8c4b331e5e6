/**
 * The OpenAI provider through the real SDK against the local fake server: every figure the
 * provider reports is checked against what the server says it billed.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createOpenAiProvider, type OpenAiProviderDeps } from '../../src/llm/providers/openai.ts';
import type { BilledCall, LlmRequest, RateLimitSignal, StepInput } from '../../src/llm/providers/provider.ts';
import { Entities, SummaryOutput, type StepName } from '../../src/contracts/enrichment.ts';
import { EnricherError } from '../../src/errors.ts';
import { createLogger, silentLogger } from '../../src/observability/logger.ts';
import { startFakeOpenAiServer, type FakeOpenAiServer } from '../support/fake-openai-server.ts';

const API_KEY = 'sk-test-provider-0123456789abcdefSECRET';
const MODEL = 'gpt-4o-mini';
const ClassifyTest = z.object({
  category: z.string(),
  confidence: z.number().min(0).max(1),
  scores: z.array(z.object({ category: z.string(), score: z.number() })),
});
const DOC =
  'Alice Smith of Acme Corp announced a partnership with Globex Bank in 2024. The deal covers semiconductor research. @category=finance @confidence=0.55';
const EMPTY_ENTITIES = { people: [], organizations: [], dates: [], topics: [] };

let server: FakeOpenAiServer;

beforeAll(async () => {
  server = await startFakeOpenAiServer({ apiKey: API_KEY });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.reset();
  server.configure({ latencyMs: 0, jitterMs: 0, knownModels: undefined, extraHeaders: {}, failureRate: 0 });
});

function setup(overrides: Partial<OpenAiProviderDeps> = {}) {
  const billed: BilledCall[] = [];
  const signals: RateLimitSignal[] = [];
  const provider = createOpenAiProvider({
    apiKey: API_KEY,
    baseUrl: server.url,
    model: MODEL,
    timeoutMs: 5_000,
    maxRetries: 2,
    logger: silentLogger(),
    onRateLimit: (s) => signals.push(s),
    ...overrides,
  });
  function request(step: StepName, documentId = `doc-${step}`, signal?: AbortSignal): LlmRequest<unknown> {
    const input: StepInput =
      step === 'extract'
        ? { step, content: DOC }
        : step === 'summarize'
          ? { step, content: DOC, entities: EMPTY_ENTITIES }
          : { step, content: DOC, entities: EMPTY_ENTITIES, summary: 'x', categories: [] };
    const schema = step === 'extract' ? Entities : step === 'summarize' ? SummaryOutput : ClassifyTest;
    return {
      step,
      documentId,
      messages: { system: `You do the ${step} step. Return JSON only.`, user: `Please ${step}.\n\nDocument:\n"""\n${DOC}\n"""` },
      schema: schema as z.ZodType<unknown>,
      schemaName: step,
      maxOutputTokens: 400,
      input,
      onBilledCall: (c) => billed.push(c),
      ...(signal ? { signal } : {}),
    };
  }
  return { provider, billed, signals, request };
}

async function failure(p: Promise<unknown>): Promise<EnricherError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EnricherError);
  return err as EnricherError;
}

describe('OpenAI provider against the fake server', () => {
  it('answers each step, reporting exactly the tokens the server billed', async () => {
    const { provider, billed, request } = setup();
    const extract = await provider.complete(request('extract'));
    expect(extract.output).toEqual({
      people: ['Alice Smith'],
      organizations: ['Acme Corp', 'Globex Bank'],
      dates: ['2024'],
      topics: ['announced', 'partnership', 'semiconductor', 'research'],
    });
    const summarize = await provider.complete(request('summarize'));
    expect(summarize.output).toEqual({
      summary: 'Alice Smith of Acme Corp announced a partnership with Globex Bank in 2024.',
    });
    const classify = await provider.complete(request('classify'));
    expect(classify.output).toEqual({
      category: 'finance',
      confidence: 0.55,
      scores: [
        { category: 'finance', score: 0.55 },
        { category: 'other', score: 0.45 },
      ],
    });

    const stats = server.stats();
    const results = [extract, summarize, classify];
    expect(stats.billedRequests).toBe(3);
    expect(billed).toHaveLength(stats.billedRequests);
    expect(billed.every((c) => c.ok && c.model === MODEL)).toBe(true);
    expect(results.reduce((s, r) => s + r.inputTokens, 0)).toBe(stats.billedPromptTokens);
    expect(results.reduce((s, r) => s + r.outputTokens, 0)).toBe(stats.billedCompletionTokens);
    const perCall = server.requests();
    for (const [i, r] of results.entries()) {
      expect(r.inputTokens).toBe(perCall[i]?.promptTokens);
      expect(r.outputTokens).toBe(perCall[i]?.completionTokens);
      expect(r.model).toBe(MODEL);
    }
    expect(stats.requestsPerStep).toEqual({ extract: 1, summarize: 1, classify: 1 });
    expect(perCall.map((r) => r.documentId)).toEqual(['doc-extract', 'doc-summarize', 'doc-classify']);
  });

  it('reports the model the API says answered', async () => {
    server.configure({ modelOverride: 'gpt-4o-mini-2024-07-18' });
    try {
      const { provider, billed, request } = setup();
      const res = await provider.complete(request('summarize'));
      expect(res.model).toBe('gpt-4o-mini-2024-07-18');
      expect(billed[0]?.model).toBe('gpt-4o-mini-2024-07-18');
    } finally {
      server.configure({ modelOverride: undefined });
    }
  });

  it('recovers from a 429 through the SDK retry, honouring Retry-After, and tells the limiter', async () => {
    server.addFault({ match: { step: 'extract' }, times: 1, action: { status: 429, retryAfterSeconds: 1 } });
    const { provider, billed, signals, request } = setup();
    const started = Date.now();
    const res = await provider.complete(request('extract'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(res.output).toMatchObject({ people: ['Alice Smith'] });
    expect(signals).toEqual([{ holdMs: 1000, reason: 'http 429' }]);
    expect(server.stats().statusCounts).toEqual({ '429': 1, '200': 1 });
    expect(server.requests().map((r) => r.retryCount)).toEqual([0, 1]);
    expect(billed).toHaveLength(1);
  });

  it('gives up on a 429 that outlasts the retries with LLM_RATE_LIMITED and the wait asked for', async () => {
    server.addFault({ action: { status: 429, retryAfterMs: 50 } });
    const { provider, signals, request } = setup({ maxRetries: 1 });
    const err = await failure(provider.complete(request('extract')));
    expect(err).toMatchObject({ code: 'LLM_RATE_LIMITED', retriable: true, retryAfterMs: 50, status: 429, stage: 'extract' });
    expect(signals).toHaveLength(2);
    expect(server.stats().totalRequests).toBe(2);
  });

  it('recovers from one 500', async () => {
    server.addFault({ times: 1, action: { status: 500 } });
    const { provider, billed, request } = setup();
    const res = await provider.complete(request('summarize'));
    expect(res.output).toHaveProperty('summary');
    expect(server.stats().statusCounts).toEqual({ '500': 1, '200': 1 });
    expect(billed).toHaveLength(1);
  });

  it('maps a 503 that outlasts the retries to a retriable LLM_SERVER_ERROR', async () => {
    server.addFault({ action: { status: 503 } });
    const { provider, request } = setup({ maxRetries: 0 });
    const err = await failure(provider.complete(request('classify')));
    expect(err).toMatchObject({ code: 'LLM_SERVER_ERROR', retriable: true, status: 503, stage: 'classify', scope: 'document' });
  });

  it('times out a call that never answers: LLM_TIMEOUT, retriable', async () => {
    server.addFault({ action: { timeout: true } });
    const { provider, billed, request } = setup({ timeoutMs: 300, maxRetries: 0 });
    const started = Date.now();
    const err = await failure(provider.complete(request('extract')));
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(err).toMatchObject({ code: 'LLM_TIMEOUT', retriable: true, stage: 'extract' });
    expect(billed).toHaveLength(0);
    await expect.poll(() => server.stats().outcomes['timeout']).toBe(1);
  });

  it('repairs one malformed answer with a second, billed, call', async () => {
    server.addFault({ times: 1, action: { malformed: true } });
    const { provider, billed, request } = setup();
    const res = await provider.complete(request('extract'));
    expect(res.output).toMatchObject({ dates: ['2024'] });
    const stats = server.stats();
    expect(stats.billedRequests).toBe(2);
    expect(billed.map((c) => c.ok)).toEqual([false, true]);
    expect(res.inputTokens).toBe(stats.billedPromptTokens);
    expect(res.outputTokens).toBe(stats.billedCompletionTokens);
    // The repair shows the model its answer and the problem.
    expect(server.requests()[1]?.promptTokens).toBeGreaterThan(server.requests()[0]?.promptTokens ?? Infinity);
  });

  it('repairs an answer of the wrong shape', async () => {
    server.addFault({ times: 1, action: { wrongShape: true } });
    const { provider, billed, request } = setup();
    const res = await provider.complete(request('classify'));
    expect(res.output).toMatchObject({ category: 'finance' });
    expect(billed.map((c) => c.ok)).toEqual([false, true]);
  });

  it('fails with a retriable LLM_BAD_OUTPUT after exactly two calls when the answer stays malformed', async () => {
    server.addFault({ action: { malformed: true } });
    const { provider, billed, request } = setup();
    const err = await failure(provider.complete(request('summarize')));
    expect(err).toMatchObject({ code: 'LLM_BAD_OUTPUT', retriable: true, stage: 'summarize' });
    expect(server.stats()).toMatchObject({ totalRequests: 2, billedRequests: 2 });
    expect(billed.map((c) => c.ok)).toEqual([false, false]);
  });

  it('maps a wrong key to LLM_AUTH, scoped to the service, without the key in the message', async () => {
    const wrongKey = 'sk-wrong-key-abcdefghijklmnopqrstuvwxyz';
    const { provider, request } = setup({ apiKey: wrongKey });
    const err = await failure(provider.complete(request('extract')));
    expect(err).toMatchObject({ code: 'LLM_AUTH', retriable: false, scope: 'service', status: 401 });
    expect(err.message).toContain('OPENAI_API_KEY');
    expect(err.message).not.toContain(wrongKey);
    expect(err.message).not.toContain('wxyz');
    expect(server.stats().totalRequests).toBe(1);
    await expect(provider.probe()).rejects.toMatchObject({ code: 'LLM_AUTH', stage: 'config', scope: 'service' });
  });

  it('maps a 403 to LLM_AUTH', async () => {
    server.addFault({ action: { status: 403 } });
    const { provider, request } = setup();
    const err = await failure(provider.complete(request('extract')));
    expect(err).toMatchObject({ code: 'LLM_AUTH', retriable: false, scope: 'service', status: 403 });
  });

  it('maps an unknown model to LLM_UNKNOWN_MODEL, for calls and probes', async () => {
    server.configure({ knownModels: [MODEL] });
    const { provider, request } = setup({ model: 'gpt-does-not-exist' });
    const err = await failure(provider.complete(request('extract')));
    expect(err).toMatchObject({ code: 'LLM_UNKNOWN_MODEL', retriable: false, scope: 'service', status: 404 });
    expect(err.message).toContain('gpt-does-not-exist');
    expect(err.message).toContain('LLM_MODEL');
    await expect(provider.probe()).rejects.toMatchObject({ code: 'LLM_UNKNOWN_MODEL', stage: 'config' });
    await expect(setup().provider.probe()).resolves.toBeUndefined();
  });

  it('asks for a step\'s own model (LLM_MODEL_<STEP>) and bills it; probe checks every step\'s model', async () => {
    server.configure({ knownModels: [MODEL, 'gpt-4.1-nano'] });
    const { provider, billed, request } = setup({ stepModels: [MODEL, 'gpt-4.1-nano'] });
    await provider.complete({ ...request('summarize'), model: 'gpt-4.1-nano' });
    await provider.complete(request('extract'));
    expect(server.requests().map((r) => [r.step, r.model, r.answeredModel])).toEqual([['summarize', 'gpt-4.1-nano', 'gpt-4.1-nano'], ['extract', MODEL, MODEL]]);
    expect(billed.map((b) => b.model)).toEqual(['gpt-4.1-nano', MODEL]);
    await expect(provider.probe()).resolves.toBeUndefined();
    const wrong = setup({ stepModels: [MODEL, 'gpt-typo'] });
    await expect(wrong.provider.probe()).rejects.toMatchObject({ code: 'LLM_UNKNOWN_MODEL', stage: 'config', message: expect.stringContaining('"gpt-typo"') });
    const err = await failure(wrong.provider.complete({ ...wrong.request('classify'), model: 'gpt-typo' }));
    expect(err.message).toContain('LLM_MODEL_<STEP>');
  });

  it('maps a 400 to a permanent LLM_BAD_REQUEST without retrying', async () => {
    server.addFault({ action: { status: 400, message: 'Invalid schema for response_format' } });
    const { provider, request } = setup();
    const err = await failure(provider.complete(request('classify')));
    expect(err).toMatchObject({ code: 'LLM_BAD_REQUEST', retriable: false, status: 400, stage: 'classify' });
    expect(err.message).toContain('Invalid schema');
    expect(server.stats().totalRequests).toBe(1);
  });

  it('maps a refusal to LLM_REFUSED, still reporting the billed call', async () => {
    server.addFault({ action: { refusal: true } });
    const { provider, billed, request } = setup();
    const err = await failure(provider.complete(request('summarize')));
    expect(err).toMatchObject({ code: 'LLM_REFUSED', retriable: false, stage: 'summarize' });
    expect(server.stats().totalRequests).toBe(1);
    expect(billed).toHaveLength(1);
    expect(billed[0]?.ok).toBe(false);
  });

  it('tells the limiter when a budget is spent, from a successful answer', async () => {
    server.configure({ extraHeaders: { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '250ms' } });
    const { provider, signals, request } = setup();
    await provider.complete(request('extract'));
    expect(signals).toEqual([{ holdMs: 250, reason: 'remaining requests 0' }]);
  });

  it('rethrows an abort from the caller as it is', async () => {
    server.setLatency(2_000);
    const { provider, request } = setup();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const err = await provider.complete(request('extract', 'doc-abort', controller.signal)).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(EnricherError);
    expect((err as Error).name).toBe('AbortError');
    await expect.poll(() => server.stats().outcomes['aborted']).toBe(1);
  });

  it('counts concurrent in-flight calls on the server', async () => {
    server.setLatency(300);
    const { provider, billed, request } = setup();
    await Promise.all([1, 2, 3, 4, 5].map((i) => provider.complete(request('extract', `doc-${i}`))));
    const stats = server.stats();
    expect(stats.maxInFlight).toBe(5);
    expect(stats.inFlight).toBe(0);
    expect(Object.keys(stats.requestsPerDocument)).toHaveLength(5);
    expect(billed).toHaveLength(5);
  });

  it('never writes the API key to the logs', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'trace', destination: { write: (s: string) => void lines.push(s) } });
    const wrongKey = 'sk-wrong-key-for-log-test-0000111122223333';
    server.addFault({ match: { documentId: 'log-429' }, times: 1, action: { status: 429, retryAfterMs: 10 } });
    server.addFault({ match: { documentId: 'log-500' }, times: 1, action: { status: 500 } });
    server.addFault({ match: { documentId: 'log-bad' }, times: 1, action: { malformed: true } });
    const good = setup({ logger });
    await good.provider.complete(good.request('extract', 'log-ok'));
    await good.provider.complete(good.request('extract', 'log-429'));
    await good.provider.complete(good.request('extract', 'log-500'));
    await good.provider.complete(good.request('summarize', 'log-bad'));
    const bad = setup({ logger, apiKey: wrongKey });
    const err = await failure(bad.provider.complete(bad.request('extract', 'log-401')));
    logger.error({ err }, 'the caller logs the error it got');
    await bad.provider.probe().catch((e: unknown) => logger.error({ err: e }, 'probe failed'));

    const text = lines.join('');
    expect(text).toContain('llm call');
    expect(text).toContain('llm http error response');
    expect(text).toContain('log-429');
    for (const secret of [API_KEY, wrongKey, 'SECRET', '3333']) expect(text).not.toContain(secret);
    expect(text.toLowerCase()).not.toContain('bearer');
  });
});
