/**
 * A 429 that refused one call while the account's budget is left (the fake server's heavy-tail
 * 429s, and a provider's overload) backs off that call alone: the SDK does not sleep in the pool
 * slot, another call takes the slot meanwhile, no hold stops the pool, and the call goes again
 * after its Retry-After. A 429 that says nothing about the budget still holds the whole pool.
 * Through the real SDK against the fake server, with a pool of one slot.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createStepCaller } from '../../src/llm/chain/call-step.ts';
import { extractStep as extractDefinition } from '../../src/llm/chain/steps/extract.ts';
import { bundledPromptSet } from '../../src/llm/chain/steps/index.ts';
import { createLocalLimiter } from '../../src/llm/limiter/local-pool.ts';
import { createPricing } from '../../src/llm/pricing.ts';
import { createOpenAiProvider } from '../../src/llm/providers/openai.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { startFakeOpenAiServer, type FakeOpenAiServer } from '../support/fake-openai-server.ts';

let server: FakeOpenAiServer;
beforeAll(async () => {
  server = await startFakeOpenAiServer({});
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

function extractStep() {
  const logger = silentLogger();
  const limiter = createLocalLimiter({ slots: 1, logger });
  const holds: number[] = [];
  const provider = createOpenAiProvider({
    apiKey: 'sk-test', baseUrl: server.url, model: 'gpt-4o-mini', timeoutMs: 10_000, maxRetries: 2, logger,
    onRateLimit: (s) => {
      holds.push(s.holdMs);
      limiter.hold(s.holdMs, s.reason);
    },
  });
  const callStep = createStepCaller({
    provider, limiter, pricing: createPricing({ logger }), costs: { emit: async () => undefined }, promptVersion: 'test',
    maxOutputTokens: 300, instanceId: 'test', logger, metrics: createMetrics(), callRetries: 2,
  });
  const extract = extractDefinition(bundledPromptSet().step('extract'));
  const run = (id: string) => {
    const doc = { id, content: `Ada Lovelace wrote about engines in 1843 (${id}).` };
    return callStep({ step: extract.name, ...extract.request(doc, {}) }, { documentId: id, attempt: 1, turn: { lane: 'p0' } });
  };
  return { run, holds };
}

const budgetLeftHeaders = { 'x-ratelimit-remaining-requests': '900', 'x-ratelimit-remaining-tokens': '90000' };

describe('a 429 that refused one call', () => {
  it('with budget left: the call waits outside the pool, another call takes the slot, nothing holds the pool', async () => {
    server.addFault({ match: { documentId: 'doc-a' }, times: 1, action: { status: 429, retryAfterSeconds: 1, headers: budgetLeftHeaders } });
    const { run, holds } = extractStep();
    const a = run('doc-a');
    const b = run('doc-b'); // queued behind a for the one slot
    await Promise.all([a, b]);
    const reqs = server.requests().sort((x, y) => x.at - y.at);
    expect(reqs.map((r) => [r.documentId, r.status])).toEqual([['doc-a', 429], ['doc-b', 200], ['doc-a', 200]]);
    // The SDK did not retry in the slot: the second try of doc-a is the step caller's, a first try for the SDK.
    expect(reqs[2]!.retryCount).toBe(0);
    expect(reqs[2]!.at - reqs[0]!.at).toBeGreaterThanOrEqual(950);
    expect(holds).toEqual([]);
  });

  it('gives up after LLM_CALL_RETRIES tries, with the 429 as a retriable error', async () => {
    server.addFault({ match: { documentId: 'doc-c' }, times: 3, action: { status: 429, retryAfterMs: 50, headers: budgetLeftHeaders } });
    const { run } = extractStep();
    await expect(run('doc-c')).rejects.toMatchObject({ code: 'LLM_RATE_LIMITED', retriable: true });
    expect(server.requests().filter((r) => r.documentId === 'doc-c')).toHaveLength(3);
  });

  it('saying nothing about the budget: the whole pool holds for its Retry-After', async () => {
    server.addFault({ match: { documentId: 'doc-a' }, times: 1, action: { status: 429, retryAfterSeconds: 1 } });
    const { run, holds } = extractStep();
    await Promise.all([run('doc-a'), run('doc-b')]);
    const reqs = server.requests().sort((x, y) => x.at - y.at);
    // The SDK retried doc-a in its slot; doc-b waited for the slot and the hold.
    expect(reqs.map((r) => [r.documentId, r.status])).toEqual([['doc-a', 429], ['doc-a', 200], ['doc-b', 200]]);
    expect(reqs[1]!.retryCount).toBe(1);
    expect(reqs[2]!.at - reqs[0]!.at).toBeGreaterThanOrEqual(950);
    expect(holds).toEqual([1000]);
  });
});
