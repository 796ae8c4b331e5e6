import { describe, expect, it } from 'vitest';
import { gateInput, qualityGate } from '../../src/pipeline/gate.ts';

const SCORES = { business: 0.7, technology: 0.2, other: 0.1 };

function result(over: {
  confidence?: number | null;
  category?: string;
  scores?: Record<string, number>;
  partial?: boolean;
  failed?: { code: string; message: string };
}): ReturnType<typeof gateInput> {
  return {
    classification: {
      category: over.category ?? 'business',
      confidence: over.confidence === undefined ? 0.9 : over.confidence,
      scores: over.scores ?? SCORES,
    },
    partial: over.partial ?? false,
    failed: over.failed ? [{ step: 'extract', ...over.failed }] : [],
  };
}

const codes = (d: ReturnType<typeof qualityGate>) => (d.route === 'review' ? d.reasons.map((r) => r.code) : []);

describe('qualityGate', () => {
  it('publishes a confident, complete result', () => {
    expect(qualityGate(result({ confidence: 0.95 }), 0.8)).toEqual({ route: 'enriched' });
  });

  it('publishes a result exactly at the threshold', () => {
    expect(qualityGate(result({ confidence: 0.8 }), 0.8)).toEqual({ route: 'enriched' });
    expect(qualityGate(result({ confidence: 0 }), 0)).toEqual({ route: 'enriched' });
    expect(qualityGate(result({ confidence: 1 }), 1)).toEqual({ route: 'enriched' });
  });

  it('sends a result below the threshold to review as LOW_CONFIDENCE, naming both numbers', () => {
    const d = qualityGate(result({ confidence: 0.79 }), 0.8);
    expect(d.route).toBe('review');
    expect(codes(d)).toEqual(['LOW_CONFIDENCE']);
    if (d.route !== 'review') throw new Error('unreachable');
    expect(d.reasons[0]!.message).toContain('0.790');
    expect(d.reasons[0]!.message).toContain('0.8');
  });

  it('uses the threshold it is given, not a fixed one', () => {
    expect(qualityGate(result({ confidence: 0.6 }), 0.5).route).toBe('enriched');
    expect(codes(qualityGate(result({ confidence: 0.6 }), 0.7))).toEqual(['LOW_CONFIDENCE']);
  });

  it.each([null, Number.NaN, Number.POSITIVE_INFINITY])('treats confidence %s as NO_USABLE_CONFIDENCE', (confidence) => {
    const d = qualityGate(result({ confidence }), 0.8);
    expect(codes(d)).toEqual(['NO_USABLE_CONFIDENCE']);
  });

  it('sends a partial chain to review whatever the confidence', () => {
    for (const confidence of [1, 0.99, 0.8]) {
      expect(codes(qualityGate(result({ confidence, partial: true }), 0.8))).toEqual(['PARTIAL_CHAIN']);
    }
  });

  it('says why extraction failed in the PARTIAL_CHAIN reason', () => {
    const d = qualityGate(result({ partial: true, failed: { code: 'LLM_REFUSED', message: 'no way' } }), 0.8);
    if (d.route !== 'review') throw new Error('expected review');
    expect(d.reasons[0]!.message).toContain('LLM_REFUSED');
    expect(d.reasons[0]!.message).toContain('no way');
  });

  it('flags a category that is not among the scored categories', () => {
    const d = qualityGate(result({ category: 'astrology', confidence: 0.99 }), 0.8);
    expect(codes(d)).toEqual(['UNKNOWN_CATEGORY']);
    if (d.route !== 'review') throw new Error('expected review');
    expect(d.reasons[0]!.message).toContain('astrology');
  });

  it('sends a category chosen against the model\'s own scores to review as INCONSISTENT_SCORES, naming both', () => {
    // Configured (so not UNKNOWN_CATEGORY), confident, and contradicted by its own scores: what an
    // instruction inside the document ("category: other, confidence 1.0") produces.
    const d = qualityGate(result({ category: 'other', confidence: 1, scores: { business: 1, other: 0 } }), 0.8);
    expect(codes(d)).toEqual(['INCONSISTENT_SCORES']);
    if (d.route !== 'review') throw new Error('expected review');
    expect(d.reasons[0]!.message).toContain('"other" scored 0.000');
    expect(d.reasons[0]!.message).toContain('"business" at 1.000');
    expect(codes(qualityGate(result({ category: 'technology', confidence: 0.95 }), 0.8))).toEqual(['INCONSISTENT_SCORES']);
  });

  it('accepts a chosen category that ties with the top score', () => {
    expect(qualityGate(result({ category: 'technology', scores: { business: 0.45, technology: 0.45, other: 0.1 } }), 0.8).route).toBe('enriched');
  });

  it('reports every reason together, in a stable order', () => {
    expect(codes(qualityGate(result({ partial: true, confidence: 0.1, category: 'astrology' }), 0.8))).toEqual([
      'PARTIAL_CHAIN',
      'LOW_CONFIDENCE',
      'UNKNOWN_CATEGORY',
    ]);
    expect(codes(qualityGate(result({ partial: true, confidence: null, category: 'astrology' }), 0.8))).toEqual([
      'PARTIAL_CHAIN',
      'NO_USABLE_CONFIDENCE',
      'UNKNOWN_CATEGORY',
    ]);
    expect(codes(qualityGate(result({ partial: true, confidence: 0.1, category: 'other' }), 0.8))).toEqual([
      'PARTIAL_CHAIN',
      'LOW_CONFIDENCE',
      'INCONSISTENT_SCORES',
    ]);
  });

  // gate.ts uses `category in scores`: the scores record is a plain object, so names inherited
  // from Object.prototype count as configured. "constructor" is a valid category name by the
  // CATEGORIES rule (/^[a-z][a-z0-9_-]*$/) and a ChainProgress from a retry envelope carries
  // any string. Fix: Object.hasOwn(scores, category).
  it('flags a category inherited from Object.prototype ("constructor") as UNKNOWN_CATEGORY', () => {
    expect(codes(qualityGate(result({ category: 'constructor', confidence: 0.99 }), 0.8))).toEqual(['UNKNOWN_CATEGORY']);
  });
});
