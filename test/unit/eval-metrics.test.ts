/** enricher eval's numbers: accuracy against reviewers, precision at the threshold, cost per 1,000 documents; the candidate's settings. */
import { describe, expect, it } from 'vitest';
import { candidateSettings, parseLimit } from '../../src/cli/eval.ts';
import { agreement, reviewerCategory, sideMetrics, type EvalCase, type SideAnswer } from '../../src/operations/eval/eval-metrics.ts';
import { alignRows } from '../../src/operations/eval/eval-report.ts';
import { primaryAnswer } from '../../src/processes/evaluation.ts';
import { reviewItem } from '../support/review.ts';

const side = (category: string | undefined, wouldPublish: boolean, costUsd = 0.001): SideAnswer => ({ category, confidence: 0.5, wouldPublish, costUsd });
const kase = (decision: EvalCase['decision'], truth: string | undefined, primary: SideAnswer, candidate: SideAnswer): EvalCase => ({ documentId: 'd', decision, truth, primary, candidate });

describe('the reviewer\'s category', () => {
  it('is the original when accepted, the chosen one when edited, none when rejected', () => {
    expect(reviewerCategory({ decision: 'accepted', original_category: 'finance', category: 'finance' })).toBe('finance');
    expect(reviewerCategory({ decision: 'accepted', original_category: 'finance' })).toBe('finance');
    expect(reviewerCategory({ decision: 'edited', original_category: 'finance', category: 'legal' })).toBe('legal');
    expect(reviewerCategory({ decision: 'rejected', original_category: 'finance' })).toBeUndefined();
  });
});

describe('a side\'s metrics', () => {
  const cases = [
    kase('accepted', 'finance', side('finance', true), side('finance', true, 0.0001)),
    kase('edited', 'legal', side('finance', true), side('legal', false, 0.0001)),
    kase('rejected', undefined, side('health', true), side('health', false, 0.0001)),
    kase('accepted', 'sport', side('sport', false), side(undefined, false, 0.00005)),
  ];

  it('accuracy leaves rejections out; a side without a category is wrong', () => {
    expect(sideMetrics(cases, 'primary')).toMatchObject({ documents: 4, judged: 3, correct: 2, accuracy: 2 / 3 });
    expect(sideMetrics(cases, 'candidate')).toMatchObject({ judged: 3, correct: 2, accuracy: 2 / 3 });
  });

  it('precision: of what it would publish, the share reviewers kept; a rejected document it publishes is wrong', () => {
    expect(sideMetrics(cases, 'primary')).toMatchObject({ published: 3, publishedRight: 1, precision: 1 / 3 });
    expect(sideMetrics(cases, 'candidate')).toMatchObject({ published: 1, publishedRight: 1, precision: 1 });
  });

  it('cost per 1,000 documents is the total over every document evaluated, rejections and failures included', () => {
    expect(sideMetrics(cases, 'primary')).toMatchObject({ costUsd: 0.004, costPer1k: 1 });
    expect(sideMetrics(cases, 'candidate')).toMatchObject({ costUsd: 0.00035, costPer1k: 0.0875 });
  });

  it('has no ratios without documents, and none for a side that publishes nothing', () => {
    expect(sideMetrics([], 'primary')).toEqual({ documents: 0, judged: 0, correct: 0, accuracy: null, published: 0, publishedRight: 0, precision: null, costUsd: 0, costPer1k: null });
    expect(sideMetrics([kase('rejected', undefined, side('a', false), side('a', false))], 'primary')).toMatchObject({ accuracy: null, precision: null });
  });

  it('agreement counts the same category on both sides', () => {
    expect(agreement(cases)).toEqual({ same: 2, of: 4, share: 0.5 });
  });
});

describe('the primary at the current threshold', () => {
  it('publishes what the gate would pass now, unless a reason no threshold lifts sent it to review', () => {
    const low = reviewItem('a', { category: 'finance', confidence: 0.7 });
    expect(primaryAnswer(low, 0.8)).toMatchObject({ category: 'finance', confidence: 0.7, wouldPublish: false, costUsd: 0.000249 });
    expect(primaryAnswer(low, 0.6).wouldPublish).toBe(true);
    expect(primaryAnswer(reviewItem('b', { category: 'finance', confidence: 0.7, reasons: ['LOW_CONFIDENCE', 'INCONSISTENT_SCORES'] }), 0.6).wouldPublish).toBe(false);
    expect(primaryAnswer({ ...low, partial: true, review_reasons: [{ code: 'PARTIAL_CHAIN', message: 'x' }] }, 0.6).wouldPublish).toBe(false);
  });
});

describe('the candidate', () => {
  it('a folder is PROMPTS_DIR; a model is every step\'s model; --step-model gives a step its own', () => {
    expect(candidateSettings('./prompts-v2', [], () => true)).toEqual({ PROMPTS_DIR: './prompts-v2' });
    expect(candidateSettings('gpt-4.1-nano', [], () => false)).toEqual({ LLM_MODEL: 'gpt-4.1-nano', LLM_MODEL_EXTRACT: 'gpt-4.1-nano', LLM_MODEL_SUMMARIZE: 'gpt-4.1-nano', LLM_MODEL_CLASSIFY: 'gpt-4.1-nano' });
    expect(candidateSettings('./p', ['classify=gpt-4.1'], () => true)).toEqual({ PROMPTS_DIR: './p', LLM_MODEL_CLASSIFY: 'gpt-4.1' });
    expect(() => candidateSettings('m', ['judge=x'], () => false)).toThrow(/--step-model/);
    expect(() => candidateSettings(' ', [], () => false)).toThrow(/--candidate/);
  });

  it('--limit is a whole number of at least 1', () => {
    expect(parseLimit(undefined)).toBeUndefined();
    expect(parseLimit('20')).toBe(20);
    expect(() => parseLimit('0')).toThrow(/--limit/);
    expect(() => parseLimit('2.5')).toThrow(/--limit/);
  });
});

describe('the table', () => {
  it('pads every column to its widest cell', () => {
    expect(alignRows([['a', 'bb', 'c'], ['ccc', 'd', 'e']])).toBe('a     bb   c\nccc   d    e');
  });
});
