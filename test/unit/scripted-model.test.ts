/**
 * The scripted model reads the real prompts (src/llm/chain/prompts.ts) as the fake OpenAI server
 * does: the document block, the allowed categories, and @directives remembered per document.
 * Should a prompt change move what it reads, the integration tests would get answers about
 * nothing and fail far from the cause; this fails first, without a broker.
 */
import { describe, expect, it } from 'vitest';
import { buildChain, okResult } from '../support/chain.ts';
import { CATEGORIES, readingPrompts, scriptedModel } from '../support/scripted-model.ts';

const content = 'Acme Corp reported strong quarterly results in 2026. Jane Smith said the outlook had improved considerably.';

describe('scripted model reading the prompts', () => {
  it('answers from the document in the real prompts', async () => {
    const { chain } = buildChain({ model: scriptedModel({ answers: readingPrompts() }) });
    const r = okResult(await chain({ id: 'read-1', title: 'Results', content }, { documentId: 'read-1', attempt: 1 }));
    expect(r.progress.extract?.entities).toEqual({ people: ['Jane Smith'], organizations: ['Acme Corp'], dates: ['2026'], topics: ['reported', 'quarterly', 'improved', 'considerably'] });
    expect(r.progress.summarize?.summary).toBe('Acme Corp reported strong quarterly results in 2026.');
    // No directive: the first allowed category it knows, with the default confidence.
    expect(r.outputs.classification).toMatchObject({ category: 'technology', confidence: 0.9 });
    expect(Object.keys((r.outputs.classification as { scores: object }).scores).sort()).toEqual([...CATEGORIES].sort());
  });

  it('remembers a document\'s directives for classify, whose prompt carries only the summary', async () => {
    const { chain, model } = buildChain({ model: scriptedModel({ answers: readingPrompts() }) });
    const r = okResult(await chain({ id: 'read-2', content: `${content} @category=business @confidence=0.55` }, { documentId: 'read-2', attempt: 1 }));
    expect(model.requests[2]!.messages.user).not.toContain('@category');
    expect(r.outputs.classification).toEqual({
      category: 'business', confidence: 0.55, scores: { business: 0.55, science: 0.15, technology: 0.15, other: 0.15 },
      // In process there are no token log-probabilities: the self-reported confidence is used.
      confidence_source: 'self', self_confidence: 0.55, logprob_confidence: null,
    });
    expect(r.progress.summarize?.summary).not.toContain('@');
  });
});
