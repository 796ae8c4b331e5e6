import { describe, expect, it } from 'vitest';
import { EnrichedDocument, RejectedDocument } from '../../src/contracts/index.ts';
import { parseDecisionForm, parseForm } from '../../src/review/decision-form.ts';
import { prepareDecision } from '../../src/review/decision-outputs.ts';
import type { QueueItem } from '../../src/review/review-state.ts';
import { entitySpans, highlightEntities } from '../../src/review/views/highlight.ts';
import { escapeHtml, html } from '../../src/review/views/html.ts';
import { safeLocalPath } from '../../src/review/http/context.ts';
import { reviewItem } from '../support/review.ts';

const CATS = ['business', 'finance', 'technology', 'other'];
const none = { people: [], organizations: [], dates: [], topics: [] };

describe('html', () => {
  it('escapes every interpolated value; only Html made by the tag passes through', () => {
    const evil = '<img src=x onerror="alert(1)">\'&';
    expect(escapeHtml(evil)).toBe('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#39;&amp;');
    expect(html`<p title="${evil}">${evil}</p>`.value).toBe(`<p title="${escapeHtml(evil)}">${escapeHtml(evil)}</p>`);
    expect(html`<ul>${['<a>', html`<li>ok</li>`]}</ul>`.value).toBe('<ul>&lt;a&gt;<li>ok</li></ul>');
    expect(html`${undefined}${null}${false}${0}`.value).toBe('0');
  });
});

describe('the page to go back to after signing in', () => {
  it('is a path on this console, never another origin', () => {
    expect(safeLocalPath('/items/doc-1?run=r')).toBe('/items/doc-1?run=r');
    for (const bad of ['//evil.example/x', '/\\evil.example', 'https://evil.example', 'javascript:alert(1)', '', undefined]) expect(safeLocalPath(bad)).toBe('/');
  });
});

describe('entity highlighting', () => {
  it('marks whole words only, case-insensitively, the longest entity winning an overlap', () => {
    const text = 'The weather in New York: Acme and new yorkers. the end';
    const spans = entitySpans(text, { ...none, organizations: ['Acme'], topics: ['the', 'New York', 'New'] });
    expect(spans.map((s) => text.slice(s.start, s.end))).toEqual(['The', 'New York', 'Acme', 'new', 'the']);
  });

  it('escapes the text and the entities it marks', () => {
    const out = highlightEntities('a <script>x</script> b', { ...none, people: ['<script>x</script>'] }).value;
    expect(out).toBe('a <mark class="ent ent-people" title="people">&lt;script&gt;x&lt;/script&gt;</mark> b');
  });
});

describe('decision forms', () => {
  it('parses urlencoded bodies, with repeated names as lists', () => {
    expect(parseForm('a=1&b=x%20y&a=2&c=')).toEqual({ a: ['1', '2'], b: 'x y', c: '' });
  });

  it('accept; edit needs a configured category; reject needs a reason, and a note for OTHER', () => {
    expect(parseDecisionForm({ kind: 'accept' }, CATS)).toEqual({ input: { kind: 'accept' } });
    expect(parseDecisionForm({ kind: 'edit', category: 'nonsense' }, CATS)).toHaveProperty('error');
    expect(parseDecisionForm({ kind: 'edit', category: 'finance', summary: ' New. ', people: 'Ann\n\nBob\nAnn', organizations: '', dates: '', topics: 'x' }, CATS)).toEqual({
      input: { kind: 'edit', category: 'finance', summary: 'New.', entities: { people: ['Ann', 'Bob'], organizations: [], dates: [], topics: ['x'] } },
    });
    expect(parseDecisionForm({ kind: 'edit', category: 'finance', summary: '  ' }, CATS)).toHaveProperty('error');
    expect(parseDecisionForm({ kind: 'reject' }, CATS)).toEqual({ error: expect.stringContaining('reason') });
    expect(parseDecisionForm({ kind: 'reject', reject_reason: 'OTHER' }, CATS)).toEqual({ error: expect.stringContaining('note') });
    expect(parseDecisionForm({ kind: 'reject', reject_reason: 'OTHER', note: 'spam' }, CATS)).toEqual({ input: { kind: 'reject', reason: 'OTHER', note: 'spam' } });
    expect(parseDecisionForm({ kind: 'delete' }, CATS)).toHaveProperty('error');
  });
});

describe('decision outputs', () => {
  const q: QueueItem = {
    documentId: 'doc-1', version: { topic: 'review', partition: 2, offset: '41' }, timestamp: 0, runId: 'run-7',
    item: reviewItem('doc-1', { category: 'finance', confidence: 0.42, reasons: ['LOW_CONFIDENCE', 'PARTIAL_CHAIN'] }),
    headers: { 'x-run-id': 'run-7', 'x-route': 'review', 'x-error-code': 'LLM_TIMEOUT' },
  };
  const topics = { enriched: 'enriched', rejected: 'rejected' };
  const now = new Date('2026-11-30T10:00:00.000Z');

  it('accept: the review item as a valid EnrichedDocument with the review block, headers carried on', () => {
    const p = prepareDecision(q, { kind: 'accept' }, { reviewer: 'alice', topics, now });
    const doc = EnrichedDocument.parse(JSON.parse(p.output.value!.toString()));
    expect(doc).not.toHaveProperty('review_reasons');
    expect(doc).not.toHaveProperty('threshold');
    expect(doc.classification).toMatchObject({ category: 'finance', confidence: 1 });
    expect(doc.review).toEqual({ decision: 'accepted', reviewer: 'alice', decided_at: now.toISOString(), original_category: 'finance', original_confidence: 0.42, original_scores: q.item.classification.scores });
    expect(p.output).toMatchObject({ topic: 'enriched', key: 'doc-1', headers: { 'x-run-id': 'run-7', 'x-route': 'enriched' } });
    expect(p.output.headers).not.toHaveProperty('x-error-code');
    expect(p.decision).toMatchObject({ document_id: 'doc-1', decision: 'accepted', item: q.version, category: 'finance', review_reasons: ['LOW_CONFIDENCE', 'PARTIAL_CHAIN'], output_topic: 'enriched' });
  });

  it('edit: the new category, summary and entities; reject: documents.rejected with the reason', () => {
    const e = prepareDecision(q, { kind: 'edit', category: 'technology', summary: 'S.', entities: { ...none, people: ['Ann'] } }, { reviewer: 'bob', topics, now });
    const doc = EnrichedDocument.parse(JSON.parse(e.output.value!.toString()));
    expect([doc.classification.category, doc.summary, doc.entities.people, doc.review?.decision]).toEqual(['technology', 'S.', ['Ann'], 'edited']);
    // Every number of the published classification is the person's; the model's stay in `review`.
    expect(doc.classification).toEqual({ category: 'technology', confidence: 1, confidence_source: 'review', scores: expect.objectContaining({ technology: 1, finance: 0 }) });
    expect(Math.max(...Object.entries(doc.classification.scores).filter(([c]) => c !== 'technology').map(([, v]) => v))).toBe(0);
    expect(doc.review).toMatchObject({ original_category: 'finance', original_confidence: 0.42, original_scores: q.item.classification.scores });
    expect(e.decision.category).toBe('technology');
    const r = prepareDecision(q, { kind: 'reject', reason: 'DUPLICATE', note: 'same as doc-0' }, { reviewer: 'bob', topics, now, bulk: true });
    const rej = RejectedDocument.parse(JSON.parse(r.output.value!.toString()));
    expect(rej.rejection).toEqual({ reason_code: 'DUPLICATE', note: 'same as doc-0' });
    expect(rej.review.decision).toBe('rejected');
    expect(r.output).toMatchObject({ topic: 'rejected', headers: { 'x-route': 'rejected' } });
    expect(r.decision).toMatchObject({ reject_reason: 'DUPLICATE', bulk: true, output_topic: 'rejected' });
    expect(r.decision).not.toHaveProperty('category');
  });

  it('an automatic EnrichedDocument without a review block stays valid (the field is optional)', () => {
    const { review_reasons: _r, threshold: _t, ...auto } = q.item;
    expect(EnrichedDocument.safeParse(auto).success).toBe(true);
  });
});
