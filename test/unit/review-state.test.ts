import { describe, expect, it } from 'vitest';
import type { ReviewDecision } from '../../src/contracts/index.ts';
import { covers, createReviewState, type QueueItem } from '../../src/review/review-state.ts';
import { reviewItem } from '../support/review.ts';

const item = (id: string, offset: string, partition = 0): QueueItem => ({
  documentId: id, version: { topic: 'r', partition, offset }, timestamp: 1_000 + Number(offset), runId: undefined, item: reviewItem(id), headers: {},
});
const decision = (id: string, offset: string, extra: Partial<ReviewDecision> = {}): ReviewDecision => ({
  decision_id: `d-${id}-${offset}-${extra.reviewer ?? 'alice'}`, document_id: id, decision: 'accepted', reviewer: 'alice', decided_at: '2026-11-30T10:00:00.000Z',
  item: { topic: 'r', partition: 0, offset }, original_category: 'finance', original_confidence: 0.5, category: 'finance', review_reasons: ['LOW_CONFIDENCE'], output_topic: 'e', ...extra,
});

describe('review state', () => {
  it('a decision covers its version and older ones of the same partition, not newer ones or other partitions', () => {
    expect(covers({ topic: 'r', partition: 0, offset: '5' }, { topic: 'r', partition: 0, offset: '5' })).toBe(true);
    expect(covers({ topic: 'r', partition: 0, offset: '5' }, { topic: 'r', partition: 0, offset: '4' })).toBe(true);
    expect(covers({ topic: 'r', partition: 0, offset: '5' }, { topic: 'r', partition: 0, offset: '6' })).toBe(false);
    expect(covers({ topic: 'r', partition: 1, offset: '5' }, { topic: 'r', partition: 0, offset: '4' })).toBe(false);
    // Offsets are compared as numbers, not strings.
    expect(covers({ topic: 'r', partition: 0, offset: '10' }, { topic: 'r', partition: 0, offset: '9' })).toBe(true);
  });

  it('orders the versions of a document on two partitions by record timestamp, in either read order (issue 25)', () => {
    // A writer with another partitioner, or partitions added: one document's records on 0 and 1.
    const older = { ...item('a', '40', 0), version: { topic: 'r', partition: 0, offset: '40', timestamp: 5_000 } };
    const newer = { ...item('a', '3', 1), version: { topic: 'r', partition: 1, offset: '3', timestamp: 9_000 } };
    for (const order of [[older, newer], [newer, older]]) {
      const s = createReviewState();
      for (const q of order) s.applyItem(q);
      expect(s.item('a')!.version).toEqual(newer.version);
      // A decision about the newer version closes it on every restart; one about the older does not.
      s.applyDecision(decision('a', '3', { item: { topic: 'r', partition: 1, offset: '3', timestamp: 9_000 } }));
      expect(s.isOpen(s.item('a')!)).toBe(false);
    }
    const s = createReviewState();
    s.applyItem(newer);
    s.applyDecision(decision('a', '40', { item: { topic: 'r', partition: 0, offset: '40', timestamp: 5_000 } }));
    expect(s.isOpen(s.item('a')!)).toBe(true);
    // Equal timestamps: the higher partition wins, the same way everywhere.
    const tie = createReviewState();
    tie.applyItem({ ...newer, version: { ...newer.version, timestamp: 5_000 } });
    tie.applyItem(older);
    expect(tie.item('a')!.version.partition).toBe(1);
  });

  it('keeps the latest review record of a document, whatever order they are applied in', () => {
    const s = createReviewState();
    s.applyItem(item('a', '7'));
    s.applyItem(item('a', '3'));
    expect(s.item('a')!.version.offset).toBe('7');
  });

  it('an item is open until a decision covers its version; a newer version opens it again', () => {
    const s = createReviewState();
    s.applyItem(item('a', '1'));
    s.applyItem(item('b', '2'));
    s.applyDecision(decision('a', '1'));
    expect(s.openItems().map((q) => q.documentId)).toEqual(['b']);
    s.applyItem(item('a', '9'));
    expect(s.openItems().map((q) => q.documentId).sort()).toEqual(['a', 'b']);
  });

  it('keeps the decision about the later version when an older one is read late', () => {
    const s = createReviewState();
    s.applyItem(item('a', '9'));
    s.applyDecision(decision('a', '9', { reviewer: 'bob' }));
    s.applyDecision(decision('a', '1'));
    expect(s.decision('a')!.reviewer).toBe('bob');
    expect(s.isOpen(s.item('a')!)).toBe(false);
  });

  it('check: open, already decided (by whom), mine (its own commit read back), stale (a newer version arrived)', () => {
    const s = createReviewState();
    s.applyItem(item('a', '4'));
    const mine = decision('a', '4');
    expect(s.check(mine)).toEqual({ kind: 'open' });
    s.applyDecision(mine);
    expect(s.check(mine)).toEqual({ kind: 'mine' });
    const other = decision('a', '4', { reviewer: 'bob' });
    expect(s.check(other)).toEqual({ kind: 'decided', by: mine });
    s.applyItem(item('a', '8'));
    expect(s.check(decision('a', '4', { reviewer: 'carol', decision_id: 'x' }))).toMatchObject({ kind: 'decided' });
    expect(s.check(decision('a', '8', { reviewer: 'carol' }))).toEqual({ kind: 'open' });
    s.applyItem(item('b', '3'));
    s.applyItem(item('b', '5'));
    expect(s.check(decision('b', '3'))).toEqual({ kind: 'stale', latest: { topic: 'r', partition: 0, offset: '5' } });
  });

  it('tells listeners about each change, and counts versions', () => {
    const s = createReviewState();
    let calls = 0;
    const off = s.onChange(() => calls++);
    s.applyItem(item('a', '1'));
    s.applyDecision(decision('a', '1'));
    s.applyDecision(decision('a', '1')); // the same decision again: no change
    expect(calls).toBe(2);
    expect(s.version()).toBe(2);
    off();
    s.applyItem(item('b', '1'));
    expect(calls).toBe(2);
  });
});
