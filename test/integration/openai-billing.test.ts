/**
 * What the OpenAI provider reports for billing and confidence, through the real SDK against the
 * fake server: the service tier it sends and the one the response names, cached prompt tokens,
 * reasoning tokens, and the category's probability from the response's token log-probabilities.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ServiceTier } from '../../src/config.ts';
import { classifyAnswer } from '../../src/llm/chain/steps/classify.ts';
import { createOpenAiProvider } from '../../src/llm/providers/openai.ts';
import type { BilledCall, LlmRequest } from '../../src/llm/providers/provider.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { startFakeOpenAiServer, type FakeOpenAiServer } from '../support/fake-openai-server.ts';

const CATEGORIES = ['finance', 'technology', 'other'];
/** A static system prompt past OpenAI's 1024-token caching floor. */
const LONG_SYSTEM = `You classify documents. ${'Read the whole text and weigh every subject it covers before choosing. '.repeat(90)}`;

let server: FakeOpenAiServer;
beforeAll(async () => {
  server = await startFakeOpenAiServer({});
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.configure({ promptCache: undefined, serviceTier: undefined, answerModels: undefined, reasoningTokens: undefined, logprobs: undefined });
  server.reset();
});

function setup(model = 'gpt-4o-mini', serviceTier?: ServiceTier) {
  const billed: BilledCall[] = [];
  const provider = createOpenAiProvider({ apiKey: 'sk-test', baseUrl: server.url, model, timeoutMs: 5_000, maxRetries: 0, logger: silentLogger(), serviceTier });
  const classify = (documentId: string, text: string, probabilityOf?: string): LlmRequest<unknown> => ({
    step: 'classify',
    documentId,
    messages: { system: `${LONG_SYSTEM}\nAllowed categories: ${CATEGORIES.join(', ')}`, user: `Summary: ${text}` },
    schema: classifyAnswer(CATEGORIES) as z.ZodType<unknown>,
    schemaName: 'classify',
    maxOutputTokens: 200,
    input: { step: 'classify', content: text, entities: { people: [], organizations: [], dates: [], topics: [] }, summary: text, categories: CATEGORIES },
    onBilledCall: (c) => billed.push(c),
    ...(probabilityOf ? { probabilityOf } : {}),
  });
  return { provider, billed, classify };
}

describe('OpenAI provider: what it reports for billing', () => {
  it('sends LLM_SERVICE_TIER and reports the tier the response names, not the one it asked for', async () => {
    const { provider, billed, classify } = setup('gpt-4o-mini', 'flex');
    await provider.complete(classify('t-1', 'Markets rallied. @category=finance'));
    server.configure({ serviceTier: 'default' });
    await provider.complete(classify('t-2', 'Markets rallied. @category=finance'));
    expect(server.requests().map((r) => r.requestedTier)).toEqual(['flex', 'flex']);
    expect(billed.map((b) => b.serviceTier)).toEqual(['flex', 'default']);
  });

  it('sends no service_tier when none is configured, and reports none when the server names none', async () => {
    const { provider, billed, classify } = setup();
    await provider.complete(classify('t-3', 'Markets rallied.'));
    expect(server.requests()[0]!.requestedTier).toBeUndefined();
    expect(billed[0]!.serviceTier).toBeUndefined();
  });

  it('reports the cached prompt tokens the server billed (OpenAI\'s rule: 1024 and up, in steps of 128)', async () => {
    server.configure({ promptCache: {} });
    const { provider, billed, classify } = setup();
    await provider.complete(classify('c-1', 'First document about markets.'));
    await provider.complete(classify('c-2', 'Second document, about chips.'));
    const records = server.requests();
    expect(records[0]!.cachedTokens).toBe(0);
    expect(records[1]!.cachedTokens).toBeGreaterThanOrEqual(1024);
    expect((records[1]!.cachedTokens! - 1024) % 128).toBe(0);
    expect(records[1]!.cachedTokens).toBeLessThanOrEqual(records[1]!.promptTokens);
    expect(billed.map((b) => b.cachedInputTokens)).toEqual(records.map((r) => r.cachedTokens));
    expect(billed.map((b) => b.inputTokens)).toEqual(records.map((r) => r.promptTokens));
  });

  it('flex capacity gone (429 resource unavailable): unbilled, retriable, a retry-tier failure like any 429', async () => {
    server.addFault({ action: { status: 429, message: 'Resource unavailable. Please retry later or use the default service tier.' } });
    const { provider, billed, classify } = setup('o3', 'flex');
    const err = await provider.complete(classify('f-1', 'Chips.')).then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'LLM_RATE_LIMITED', retriable: true, status: 429 });
    expect(billed).toEqual([]);
    expect(server.requests()[0]!.requestedTier).toBe('flex');
  });

  it('reasoning model: reports reasoning tokens inside the output, and asks for no logprobs it would be refused', async () => {
    server.configure({ reasoningTokens: 256 });
    const { provider, billed, classify } = setup('o3');
    expect(provider.tokenProbabilities).toBe(false);
    const res = await provider.complete(classify('r-1', 'Chips. @category=technology', 'category'));
    const rec = server.requests()[0]!;
    expect(rec.logprobs).toBe(false);
    expect(rec.status).toBe(200);
    expect(billed[0]).toMatchObject({ reasoningTokens: 256, outputTokens: rec.completionTokens });
    expect(rec.completionTokens).toBeGreaterThan(256);
    expect(res.fieldProbability).toBeUndefined();
  });
});

describe('OpenAI provider: the category\'s token probability', () => {
  it('asks for logprobs when a field probability is wanted, and reads the category\'s from the tokens', async () => {
    const { provider, classify } = setup();
    expect(provider.tokenProbabilities).toBe(true);
    const res = await provider.complete(classify('p-1', 'Banks lent more. @category=finance @confidence=0.95 @category_p=0.3', 'category'));
    expect(server.requests()[0]!.logprobs).toBe(true);
    expect(res.output).toMatchObject({ category: 'finance', confidence: 0.95 });
    expect(res.fieldProbability).toBeCloseTo(0.3, 9);
  });

  it('by default the fake\'s category probability is its own score for the category', async () => {
    const { provider, classify } = setup();
    const res = await provider.complete(classify('p-2', 'Banks lent more. @category=finance @confidence=0.8', 'category'));
    expect(res.fieldProbability).toBeCloseTo(0.8, 9);
  });

  it('asks for none when no field probability is wanted', async () => {
    const { provider, classify } = setup();
    const res = await provider.complete(classify('p-3', 'Banks. @category=finance'));
    expect(server.requests()[0]!.logprobs).toBe(false);
    expect(res.fieldProbability).toBeUndefined();
  });

  it('a server that ignores logprobs: the answer is fine, the probability absent, no error', async () => {
    server.configure({ logprobs: false });
    const { provider, classify } = setup();
    const res = await provider.complete(classify('p-4', 'Banks. @category=finance', 'category'));
    expect(res.output).toMatchObject({ category: 'finance' });
    expect(res.fieldProbability).toBeUndefined();
  });
});
