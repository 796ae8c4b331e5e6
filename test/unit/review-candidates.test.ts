import { describe, expect, it } from 'vitest';
import type { ReviewDecision, ShadowAnswer, ShadowComparison } from '../../src/contracts/index.ts';
import { candidateSentence, candidateStats } from '../../src/review/candidates/candidate-stats.ts';
import { createShadowStore } from '../../src/review/candidates/shadow-follower.ts';
import { candidatesPage } from '../../src/review/views/candidates-view.ts';

const answer = (category: string, cost: number, o: Partial<ShadowAnswer> = {}): ShadowAnswer => ({
  models: ['m'], prompt_version: 'p', category, confidence: 0.9, entities: { people: [], organizations: [], dates: [], topics: [] },
  summary: 's', route: 'enriched', partial: false, cost_usd: cost, latency_ms: 10, ...o,
});

function comparison(id: string, primary: string, candidate: string | null, o: { name?: string; pCost?: number; cCost?: number; at?: string } = {}): ShadowComparison {
  return {
    document_id: id, candidate: o.name ?? 'offline-small', threshold: 0.7, attempt: 1,
    primary: answer(primary, o.pCost ?? 0.001),
    shadow: candidate === null ? null : answer(candidate, o.cCost ?? 0.0004),
    metrics: candidate === null ? null : { category_agrees: primary === candidate, confidence_difference: 0, entities_f1: 1, summary_token_f1: 1, route_differs: false },
    ...(candidate === null ? { error: { code: 'LLM_FAILED', message: 'x' } } : {}),
    timestamp: o.at ?? '2026-12-07T08:00:00.000Z',
  };
}

function decided(id: string, decision: ReviewDecision['decision'], original: string, category?: string): ReviewDecision {
  return {
    decision_id: `d-${id}`, document_id: id, decision, reviewer: 'alice', decided_at: '2026-12-07T08:00:00.000Z',
    item: { topic: 'documents.review', partition: 0, offset: '1' }, original_category: original, original_confidence: 0.5,
    ...(category ? { category } : {}), review_reasons: ['LOW_CONFIDENCE'], output_topic: decision === 'rejected' ? 'documents.rejected' : 'documents.enriched',
  };
}

describe('the Candidates page numbers', () => {
  const comparisons = [
    comparison('a', 'tech', 'tech'), comparison('b', 'tech', 'tech'), comparison('c', 'tech', 'other', { at: '2026-12-07T08:00:02.000Z' }),
    comparison('d', 'health', 'health'), comparison('e', 'health', 'other', { at: '2026-12-07T08:00:01.000Z' }), comparison('f', 'finance', null),
    comparison('a', 'tech', 'tech', { name: 'gpt-4.1-nano@abc', cCost: 0.002 }),
  ];
  const decisions = new Map([
    // a: accepted (tech right: both right); c: edited to other (candidate right, primary wrong);
    // e: edited to finance (both wrong); d: rejected (left out of accuracy); f: the candidate failed.
    ['a', decided('a', 'accepted', 'tech')], ['c', decided('c', 'edited', 'tech', 'other')], ['e', decided('e', 'edited', 'health', 'finance')],
    ['d', decided('d', 'rejected', 'health')], ['f', decided('f', 'accepted', 'finance')],
  ]);
  const [nano, small] = candidateStats(comparisons, (id) => decisions.get(id), { maxDisagreements: 1 });

  it('counts agreement overall and by the primary\'s category, failures apart', () => {
    expect(small!.candidate).toBe('offline-small');
    expect([small!.compared, small!.failed, small!.agreed]).toEqual([5, 1, 3]);
    expect(small!.agreement).toBeCloseTo(0.6);
    expect(small!.byCategory).toEqual([
      { category: 'tech', compared: 3, agreed: 2, share: 2 / 3 },
      { category: 'health', compared: 2, agreed: 1, share: 0.5 },
    ]);
  });

  it('lists the disagreements newest first, bounded, with the reviewer\'s category', () => {
    expect(small!.disagreements).toBe(2);
    expect(small!.disagreementList).toEqual([
      { documentId: 'c', primary: { category: 'tech', confidence: 0.9 }, candidate: { category: 'other', confidence: 0.9 }, routeDiffers: false, reviewer: 'other', timestamp: '2026-12-07T08:00:02.000Z' },
    ]);
  });

  it('scores both sides against the reviewers as enricher eval does (rejections left out of accuracy)', () => {
    expect(small!.reviewed).toBe(4);
    expect([small!.primary.judged, small!.primary.correct, small!.candidateSide.correct]).toEqual([3, 1, 2]);
    expect(small!.primary.accuracy).toBeCloseTo(1 / 3);
    expect(small!.candidateSide.accuracy).toBeCloseTo(2 / 3);
  });

  it('costs per 1,000 answered documents, and the candidate\'s share', () => {
    expect(small!.cost).toEqual({ primaryPer1k: 1, candidatePer1k: 0.4, share: 0.4 });
    expect(nano!.cost).toEqual({ primaryPer1k: 1, candidatePer1k: 2, share: 2 });
  });

  it('says it in one sentence, honestly when nothing was reviewed', () => {
    expect(candidateSentence(small!)).toBe('offline-small agrees with the primary on 60 % of 5 documents at 40 % of the cost; on 3 reviewed documents it is right 67 % vs 33 % for the primary.');
    const [unreviewed] = candidateStats([comparison('x', 'tech', 'tech')], () => undefined);
    expect(candidateSentence(unreviewed!)).toBe('offline-small agrees with the primary on 100 % of 1 document at 40 % of the cost; no compared document has a reviewer\'s decision yet, so there is no accuracy against reviewers.');
    const [rejected] = candidateStats([comparison('x', 'tech', 'tech', { pCost: 0, cCost: 0 })], () => decided('x', 'rejected', 'tech'));
    expect(candidateSentence(rejected!)).toBe('offline-small agrees with the primary on 100 % of 1 document at no cost on either side; the 1 reviewed document was rejected, so there is no category to be right about.');
    const [failed] = candidateStats([comparison('x', 'tech', null)], () => undefined);
    expect(candidateSentence(failed!)).toBe('offline-small has not answered on any document yet (its chain failed on 1).');
  });
});

describe('the Candidates page', () => {
  const ctx = { user: 'victor', role: 'viewer' as const, csrf: 't', canSignOut: true, stateVersion: 1 };

  it('links a disagreeing document to its item page when it is in review, escapes everything, and is in the navigation', () => {
    const stats = candidateStats([
      comparison('in-review', 'tech', 'other'), comparison('<img src=x onerror=alert(1)>', 'tech', '<b>bold</b>', { name: '"><script>x</script>' }),
    ], () => undefined);
    const page = candidatesPage(ctx, { stats, topic: 'documents.shadow', inReview: (id) => id === 'in-review', unreadable: 2, dropped: 0 });
    expect(page).toContain('<a href="/items/in-review">in-review</a>');
    expect(page).toContain('<code>&lt;img src=x onerror=alert(1)&gt;</code>');
    expect(page).not.toMatch(/<script>x|<b>bold|<img src/);
    expect(page).toContain('&lt;b&gt;bold&lt;/b&gt;');
    expect(page).toContain('<a href="/candidates" aria-current="page">Candidates</a>');
    expect(page).toContain('2 unreadable record(s) on documents.shadow skipped');
  });

  it('says so when there are no comparisons', () => {
    expect(candidatesPage(ctx, { stats: [], topic: 'documents.shadow', inReview: () => false, unreadable: 0, dropped: 0 })).toContain('No shadow comparisons on <code>documents.shadow</code> yet');
  });
});

describe('the console\'s copy of documents.shadow', () => {
  it('keeps the latest comparison per document and candidate, at most maxKeys (the least recently written goes)', () => {
    const store = createShadowStore(2);
    store.apply(comparison('a', 'tech', 'tech'));
    store.apply(comparison('b', 'tech', 'tech'));
    store.apply(comparison('a', 'tech', 'other')); // a replay: the latest counts, and a is now the most recent
    store.apply(comparison('a', 'tech', 'tech', { name: 'other-model' }));
    expect([...store.values()].map((c) => `${c.document_id}/${c.candidate}/${c.shadow?.category}`)).toEqual(['a/offline-small/other', 'a/other-model/tech']);
    expect(store.dropped()).toBe(1);
  });
});
