import { describe, expect, it } from 'vitest';
import { applyFilter, filterChoices, filterQuery, neighbours, parseFilter, summarize } from '../../src/review/queue-filter.ts';
import type { QueueItem } from '../../src/review/review-state.ts';
import { reviewItem } from '../support/review.ts';

const q = (id: string, opts: { confidence: number; category: string; at: number; run?: string; model?: string; reasons?: ('LOW_CONFIDENCE' | 'PARTIAL_CHAIN')[] }): QueueItem => ({
  documentId: id, version: { topic: 'r', partition: 0, offset: '0' }, timestamp: opts.at, runId: opts.run, headers: {},
  item: reviewItem(id, { confidence: opts.confidence, category: opts.category, model: opts.model ?? 'gpt-4o-mini', reasons: opts.reasons ?? ['LOW_CONFIDENCE'] }),
});

const items = [
  q('a', { confidence: 0.5, category: 'finance', at: 3000, run: 'r1' }),
  q('b', { confidence: 0.2, category: 'health', at: 1000, run: 'r2', reasons: ['LOW_CONFIDENCE', 'PARTIAL_CHAIN'] }),
  q('c', { confidence: 0.7, category: 'finance', at: 2000, model: 'gpt-4.1' }),
];
const ids = (list: QueueItem[]) => list.map((x) => x.documentId);

describe('queue filters', () => {
  it('parses a query; malformed values are ignored and confidences clamped to 0..1', () => {
    expect(parseFilter({ min: 'abc', max: '7', sort: 'sideways', reason: '  ', run: 'r1' })).toEqual({ sort: 'oldest', maxConfidence: 1, run: 'r1' });
    const f = parseFilter({ reason: 'PARTIAL_CHAIN', category: 'health', min: '0.1', max: '0.3', model: 'm', prompt: 'p', run: 'r', sort: 'confidence-asc' });
    expect(parseFilter(Object.fromEntries(new URLSearchParams(filterQuery(f))))).toEqual(f);
  });

  it('filters by reason, category, confidence range, model, prompt and run', () => {
    expect(ids(applyFilter(items, parseFilter({ reason: 'PARTIAL_CHAIN' })))).toEqual(['b']);
    expect(ids(applyFilter(items, parseFilter({ category: 'finance' })))).toEqual(['c', 'a']);
    expect(ids(applyFilter(items, parseFilter({ min: '0.4', max: '0.6' })))).toEqual(['a']);
    expect(ids(applyFilter(items, parseFilter({ model: 'gpt-4.1' })))).toEqual(['c']);
    expect(ids(applyFilter(items, parseFilter({ prompt: 'other' })))).toEqual([]);
    expect(ids(applyFilter(items, parseFilter({ run: 'r2' })))).toEqual(['b']);
  });

  it('sorts by age or by confidence, either way', () => {
    expect(ids(applyFilter(items, parseFilter({})))).toEqual(['b', 'c', 'a']);
    expect(ids(applyFilter(items, parseFilter({ sort: 'newest' })))).toEqual(['a', 'c', 'b']);
    expect(ids(applyFilter(items, parseFilter({ sort: 'confidence-asc' })))).toEqual(['b', 'a', 'c']);
    expect(ids(applyFilter(items, parseFilter({ sort: 'confidence-desc' })))).toEqual(['c', 'a', 'b']);
  });

  it('counts open items by reason and gives the age of the oldest', () => {
    const s = summarize(items, 10_000);
    expect(s.total).toBe(3);
    expect(s.byReason.get('LOW_CONFIDENCE')).toBe(3);
    expect(s.byReason.get('PARTIAL_CHAIN')).toBe(1);
    expect(s.oldestAgeMs).toBe(9_000);
    expect(summarize([], 10_000).oldestAgeMs).toBeUndefined();
  });

  it('lists the choices and finds an item’s neighbours (the first item when it is no longer listed)', () => {
    expect(filterChoices(items)).toEqual({ models: ['gpt-4.1', 'gpt-4o-mini'], prompts: ['2026-11-25.1'], runs: ['r1', 'r2'], categories: ['finance', 'health'] });
    const list = applyFilter(items, parseFilter({}));
    expect(ids([neighbours(list, 'c').previous!, neighbours(list, 'c').next!])).toEqual(['b', 'a']);
    expect(neighbours(list, 'gone').next!.documentId).toBe('b');
  });
});
