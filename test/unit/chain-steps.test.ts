/**
 * The steps (src/llm/chain/summarize.ts, classify.ts): what each one asks the model, with what
 * input, and what it makes of the answer. Extract's own request is the first of the chain
 * (run-chain.test.ts); its entities reach the model through summarize's prompt, tested here.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.ts';
import { gateInput, qualityGate } from '../../src/pipeline/gate.ts';
import { buildChain, ctx, failed, okResult } from '../support/chain.ts';
import { CATEGORIES, CLASSIFICATION, ENTITIES, FIXTURE_DOC as doc, MODEL, SUMMARY } from '../support/scripted-model.ts';

describe('summarize step', () => {
  it('gives summarize the extracted entities, in its prompt and its input', async () => {
    const { chain, model } = buildChain();
    okResult(await chain(doc, ctx));
    const summarize = model.requests[1]!;
    for (const s of ['Ada Lovelace', 'Analytical Society', '1843', 'computing', 'mathematics']) {
      expect(summarize.messages.user).toContain(s);
    }
    expect(summarize.messages.user).toContain(doc.content);
    expect(summarize.input).toEqual({ step: 'summarize', content: doc.content, title: doc.title, entities: ENTITIES });
  });
});

describe('classify step', () => {
  it('gives classify the summary, and the allowed categories in the static system prompt', async () => {
    const { chain, model } = buildChain();
    okResult(await chain(doc, ctx));
    const classify = model.requests[2]!;
    expect(classify.messages.user).toContain(SUMMARY);
    expect(classify.messages.system).toContain(`Allowed categories: ${CATEGORIES.join(', ')}`);
    expect(classify.messages.user).not.toContain('Allowed categories');
    expect(classify.input).toMatchObject({ step: 'classify', summary: SUMMARY, categories: CATEGORIES, entities: ENTITIES });
  });

  it('returns the classification with a score for every configured category', async () => {
    const { chain } = buildChain();
    const r = okResult(await chain(doc, ctx));
    expect(r.outputs.classification).toEqual({
      category: 'science',
      confidence: 0.91,
      scores: { science: 0.91, technology: 0.06, business: 0, other: 0.03 },
      // The scripted model returns no token probabilities: the self-reported confidence is used.
      confidence_source: 'self',
      self_confidence: 0.91,
      logprob_confidence: null,
    });
    expect(r.partial).toBe(false);
    expect(r.model).toBe(MODEL);
    expect(r.progress.extract?.entities).toEqual(ENTITIES);
    expect(r.progress.summarize?.summary).toBe(SUMMARY);
    expect(qualityGate(gateInput(r), 0.8)).toEqual({ route: 'enriched' });
  });

  it('passes confidence null through to the result (and the gate sends it to review)', async () => {
    const { chain, model } = buildChain();
    model.answers.classify = { ...CLASSIFICATION, confidence: null };
    const r = okResult(await chain(doc, ctx));
    expect((r.outputs.classification as { confidence: number | null }).confidence).toBeNull();
    const d = qualityGate(gateInput(r), 0.8);
    expect(d.route === 'review' && d.reasons.map((x) => x.code)).toEqual(['NO_USABLE_CONFIDENCE']);
  });

  it('sends classify a schema built from the configured categories', async () => {
    const { chain, model } = buildChain();
    okResult(await chain(doc, ctx));
    const schema = model.requests[2]!.schema;
    expect(schema.safeParse(CLASSIFICATION).success).toBe(true);
    expect(schema.safeParse({ ...CLASSIFICATION, category: 'astrology' }).success).toBe(false);
    expect(schema.safeParse({ ...CLASSIFICATION, scores: [{ category: 'astrology', score: 1 }] }).success).toBe(false);
    expect(schema.safeParse({ ...CLASSIFICATION, confidence: 1.2 }).success).toBe(false);
  });

  it('rejects a category outside the configured set instead of passing it through', async () => {
    const { chain, events, model } = buildChain();
    model.answers.classify = { ...CLASSIFICATION, category: 'astrology' };
    const { error, progress } = failed(await chain(doc, ctx));
    expect(error.code).toBe(ErrorCodes.LLM_BAD_OUTPUT);
    expect(error.stage).toBe('classify');
    expect(progress.extract?.entities).toEqual(ENTITIES);
    expect(progress.summarize?.summary).toBe(SUMMARY);
    expect(progress.classify).toBeUndefined();
    // The unusable answer was paid for: its cost event is there, marked not ok.
    expect(events.map((e) => [e.step, e.ok])).toEqual([
      ['extract', true],
      ['summarize', true],
      ['classify', false],
    ]);
  });
});
