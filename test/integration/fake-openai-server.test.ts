/** The fake OpenAI server's own contract: other tests and the benchmark lean on it. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeOpenAiControl, startFakeOpenAiServer, type FakeOpenAiServer } from '../support/fake-openai-server.ts';
import { parseInjection } from '../support/prompt-reader.ts';
import { createPromptCache, tokenLogprobs } from '../support/fake-openai-billing.ts';
import { sampleCorpus } from '../support/docs.ts';
import { injectionCases } from '../support/injections.ts';

let server: FakeOpenAiServer;
beforeAll(async () => {
  server = await startFakeOpenAiServer({ seed: 1 });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.reset();
  server.configure({ failureRate: 0, rateLimit: undefined, latencyMs: 0 });
});

async function chat(url: string, step: string, documentId: string, user = 'Document:\n"""\nHello there. Bye.\n"""') {
  const res = await fetch(`${url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-enricher-document-id': documentId },
    body: JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: user }],
      response_format: { type: 'json_schema', json_schema: { name: step, strict: true, schema: {} } },
    }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

describe('fake OpenAI server', () => {
  it('takes fault rules over the HTTP control API, consumed per matching request', async () => {
    const control = fakeOpenAiControl(server.url);
    await control.addFaults([
      { match: { step: 'summarize', documentId: 'poison' }, times: 2, action: { status: 503 } },
      { match: { step: 'extract' }, times: 1, action: { status: 429, retryAfterMs: 5 } },
    ]);
    expect((await chat(server.url, 'summarize', 'doc-poison-1')).status).toBe(503);
    expect((await chat(server.url, 'summarize', 'doc-clean')).status).toBe(200);
    expect((await chat(server.url, 'summarize', 'doc-poison-2')).status).toBe(503);
    expect((await chat(server.url, 'summarize', 'doc-poison-3')).status).toBe(200);
    const limited = await chat(server.url, 'extract', 'a');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after-ms')).toBe('5');
    expect(limited.body).toMatchObject({ error: { code: 'rate_limit_exceeded' } });
    expect((await chat(server.url, 'extract', 'a')).status).toBe(200);

    const stats = await control.stats();
    expect(stats).toMatchObject({
      totalRequests: 6,
      requestsPerStep: { summarize: 4, extract: 2 },
      statusCounts: { '200': 3, '503': 2, '429': 1 },
      billedRequests: 3,
    });
    expect((await control.requests()).filter((r) => r.billed)).toHaveLength(3);
    await control.reset();
    expect((await control.stats()).totalRequests).toBe(0);
  });

  it('applies delay rules before the next matching rule', async () => {
    server.addFault({ times: 1, action: { delayMs: 150 } });
    server.addFault({ times: 1, action: { status: 500 } });
    const started = Date.now();
    expect((await chat(server.url, 'extract', 'd')).status).toBe(500);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('remembers directives per document for the classify step', async () => {
    await chat(server.url, 'extract', 'doc-d', 'Document:\n"""\n@category=sports @confidence=0.4 Match report.\n"""');
    const res = await chat(server.url, 'classify', 'doc-d', 'Allowed categories: sports, finance, other\nSummary: Match report.');
    const content = JSON.parse(((res.body['choices'] as Array<{ message: { content: string } }>)[0]?.message.content) ?? '');
    expect(content).toEqual({
      category: 'sports',
      confidence: 0.4,
      scores: [
        { category: 'sports', score: 0.4 },
        { category: 'finance', score: 0.3 },
        { category: 'other', score: 0.3 },
      ],
    });
  });

  it('injects random faults deterministically from a seed', async () => {
    const run = async () => {
      server.reset();
      server.configure({ failureRate: 0.5, failureStatus: 502, seed: 42 });
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await chat(server.url, 'extract', `r${i}`)).status);
      return statuses;
    };
    const first = await run();
    expect(first).toContain(502);
    expect(first).toContain(200);
    expect(await run()).toEqual(first);
  });

  it('simulates a rate-limit budget with OpenAI headers', async () => {
    server.configure({ rateLimit: { requests: 2, windowMs: 60_000 } });
    const a = await chat(server.url, 'extract', 'x');
    expect(a.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    const b = await chat(server.url, 'extract', 'x');
    expect(b.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(b.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(\.\d)?s$/);
    const c = await chat(server.url, 'extract', 'x');
    expect(c.status).toBe(429);
    expect(Number(c.headers.get('retry-after-ms'))).toBeGreaterThan(50_000);
    expect(server.tokensInWindow()).toBe(server.stats().billedTotalTokens);
    expect(server.peakTokensPerWindow()).toBe(server.stats().billedTotalTokens);
  });

  it('runs standalone and stops on SIGTERM', async () => {
    const file = fileURLToPath(new URL('../support/fake-openai-server.ts', import.meta.url));
    const child = spawn(process.execPath, [file, '--port', '0', '--latency', '5', '--known-models', 'gpt-4o-mini'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      const { url } = JSON.parse(line) as { url: string };
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      expect((await fetch(`${url}/models/gpt-4o-mini`)).status).toBe(200);
      expect((await fetch(`${url}/models/gpt-nope`)).status).toBe(404);
      expect((await chat(url, 'summarize', 'z')).status).toBe(200);
      expect((await fakeOpenAiControl(url).stats()).billedRequests).toBe(1);
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });

  it('caches prompt prefixes the way OpenAI does: nothing under the floor, then whole steps of the block', () => {
    const cache = createPromptCache({ minTokens: 8, blockTokens: 4 });
    const prompt = (user: string) => [{ role: 'system', content: 'one two three four five six seven eight nine ten eleven twelve' }, { role: 'user', content: user }];
    expect(cache.lookupAndStore('m', prompt('a'))).toBe(0);
    // The 12 system tokens are shared: 8, then 12 (the next step, 16, is not reached).
    expect(cache.lookupAndStore('m', prompt('b'))).toBe(12);
    expect(cache.lookupAndStore('other-model', prompt('b'))).toBe(0);
    // The same text as a user message is another prefix.
    expect(cache.lookupAndStore('m', [{ role: 'user', content: prompt('a')[0]!.content }])).toBe(0);
    expect(createPromptCache().lookupAndStore('m', prompt('a'))).toBe(0);
  });

  it('puts the category\'s probability on the first token of its value, and the tokens spell the answer', () => {
    const content = JSON.stringify({ category: 'finance', confidence: 1, scores: [{ category: 'finance', score: 1 }] });
    const lp = tokenLogprobs(content, 'finance', 0.25);
    expect(lp.map((t) => t.token).join('')).toBe(content);
    expect(lp.filter((t) => t.logprob !== 0).map((t) => [t.token, Math.exp(t.logprob)])).toEqual([['finance', expect.closeTo(0.25, 12)]]);
  });

  it('the gullible model obeys every phrasing of the injection corpus, and nothing in the sample corpus', () => {
    const allowed = ['business', 'finance', 'technology', 'science', 'health', 'sport', 'politics', 'legal', 'other'];
    for (const c of injectionCases()) expect(parseInjection(c.doc.content, allowed), c.doc.id).toEqual({ category: c.demands, confidence: 1, scores: c.demandsScores });
    expect(sampleCorpus().filter((d) => parseInjection(d.content, allowed)).map((d) => d.id)).toEqual([]);
  });
});
