import { describe, expect, it } from 'vitest';
import type { ReviewDecision } from '../../src/contracts/index.ts';
import { thresholdAdvice } from '../../src/review/threshold-advice.ts';

let n = 0;
const d = (confidence: number, what: 'kept' | 'recategorized' | 'rejected', reasons: ReviewDecision['review_reasons'] = ['LOW_CONFIDENCE']): ReviewDecision => ({
  decision_id: `d${n++}`, document_id: `doc${n}`, decision: what === 'rejected' ? 'rejected' : what === 'kept' ? 'accepted' : 'edited', reviewer: 'r', decided_at: '2026-11-30T10:00:00.000Z',
  item: { topic: 't', partition: 0, offset: String(n) }, original_category: 'finance', original_confidence: confidence,
  ...(what === 'rejected' ? { reject_reason: 'DUPLICATE' as const } : { category: what === 'kept' ? 'finance' : 'business' }),
  review_reasons: reasons, output_topic: 'o',
});

describe('threshold advice', () => {
  it('counts per band how often reviewers kept the category, from 0.0–0.1 up to the threshold', () => {
    const a = thresholdAdvice([d(0.05, 'recategorized'), d(0.72, 'kept'), d(0.75, 'kept'), d(0.79, 'rejected'), d(0.8, 'kept')], 0.8);
    expect(a.bands.map((b) => `${b.lower}-${b.upper}`)).toEqual(['0-0.1', '0.1-0.2', '0.2-0.3', '0.3-0.4', '0.4-0.5', '0.5-0.6', '0.6-0.7', '0.7-0.8']);
    expect(a.bands[0]).toMatchObject({ decided: 1, kept: 0, recategorized: 1, rejected: 0 });
    // 0.8 itself falls in the top band (a threshold raised later may have sent it to review).
    expect(a.bands[7]).toMatchObject({ decided: 4, kept: 3, recategorized: 0, rejected: 1 });
    expect(a.decided).toBe(5);
  });

  it('a threshold at a band’s lower edge would publish the low-confidence-only documents at or above it; changed = other category or rejected', () => {
    const a = thresholdAdvice([d(0.35, 'kept'), d(0.45, 'recategorized'), d(0.55, 'kept'), d(0.65, 'rejected'), d(0.66, 'kept', ['LOW_CONFIDENCE', 'PARTIAL_CHAIN'])], 0.8);
    const at = (edge: number) => a.bands.find((b) => b.lower === edge)!;
    expect([at(0.6).wouldPublish, at(0.6).wouldPublishChanged]).toEqual([1, 1]);
    expect([at(0.5).wouldPublish, at(0.5).wouldPublishChanged]).toEqual([2, 1]);
    expect([at(0.3).wouldPublish, at(0.3).wouldPublishChanged]).toEqual([4, 2]);
    expect(at(0.6).decided).toBe(2); // the partial-chain one counts for "kept", not for "would publish"
  });

  it('suggests the lowest edge reviewers changed at most 5 % of, with at least 20 documents; none without evidence', () => {
    const many = [...Array.from({ length: 30 }, () => d(0.75, 'kept')), ...Array.from({ length: 10 }, () => d(0.65, 'kept')), d(0.65, 'recategorized'), ...Array.from({ length: 10 }, () => d(0.55, 'recategorized'))];
    const a = thresholdAdvice(many, 0.8);
    expect(a.suggestion).toEqual({ threshold: 0.6, changedShare: 1 / 41, documents: 41 });
    expect(thresholdAdvice(many.slice(0, 10), 0.8).suggestion).toBeUndefined();
  });

  it('follows the threshold: 0.65 gives seven bands', () => {
    expect(thresholdAdvice([], 0.65).bands).toHaveLength(7);
  });
});
