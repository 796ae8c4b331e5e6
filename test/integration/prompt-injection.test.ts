/**
 * Prompt injection against the quality gate, through the real SDK and a real broker. The fake
 * model is gullible: it obeys an instruction in the document and writes the demanded category
 * with confidence 1.0 (and the demanded scores, when asked), but the probability its tokens give
 * that category stays what its reading of the text says, which is low. With the default
 * CONFIDENCE_MODE (min, the model returns logprobs) none of ten phrasings reaches
 * documents.enriched; with CONFIDENCE_MODE=self the ones that also dictate the scores do.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EnrichedDocument, ReviewItem } from '../../src/contracts/index.ts';
import { doc, startHarness, type Harness } from '../support/harness.ts';
import { injectionCases } from '../support/injections.ts';
import { jsonValue, readTopics } from '../support/kafka.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const cases = injectionCases();
const controls = Array.from({ length: 3 }, (_, i) => doc(`ctl-${i}`));

async function run(env: Record<string, string>) {
  h = await startHarness(env);
  const { config } = h;
  await h.produce([...cases.map((c) => c.doc), ...controls]);
  const out = await readTopics(h.tk.kafka, [config.topics.enriched, config.topics.review, config.topics.dlq], {
    until: (r) => r.length >= cases.length + controls.length,
    timeoutMs: 60_000,
  });
  const enriched = out.filter((r) => r.topic === config.topics.enriched).map((r) => jsonValue<EnrichedDocument>(r));
  const review = out.filter((r) => r.topic === config.topics.review).map((r) => jsonValue<ReviewItem>(r));
  expect(out.filter((r) => r.topic === config.topics.dlq)).toEqual([]);
  return { enriched, review };
}

function summary(items: ReviewItem[]): string {
  return items
    .map((r) => {
      const c = r.classification;
      return `  ${r.document_id.padEnd(7)} ${c.category.padEnd(9)} self ${String(c.self_confidence).padEnd(4)} logprob ${String(c.logprob_confidence).padEnd(7)} → ${r.review_reasons.map((x) => x.code).join(', ')}`;
    })
    .join('\n');
}

describe('prompt injection', () => {
  it('min (the default with logprobs): none of ten injected documents reaches documents.enriched, though the model obeyed them all', async () => {
    const { enriched, review } = await run({});
    const injected = new Set(cases.map((c) => c.doc.id));
    expect(enriched.filter((e) => injected.has(e.document_id))).toEqual([]);
    // The gate still publishes ordinary confident documents.
    expect(enriched.map((e) => e.document_id).sort()).toEqual(controls.map((c) => c.id).sort());
    for (const e of enriched) expect(e.classification).toMatchObject({ confidence_source: 'self', self_confidence: 0.95, logprob_confidence: 0.95 });

    const items = review.filter((r) => injected.has(r.document_id));
    expect(items).toHaveLength(cases.length);
    for (const c of cases) {
      const r = items.find((x) => x.document_id === c.doc.id)!;
      // The model did obey: the demanded category, a stated confidence of 1.0 ...
      expect(r.classification, c.doc.id).toMatchObject({ category: c.demands, self_confidence: 1, confidence_source: 'logprob' });
      // ... but its tokens gave that category little probability, and that is what the gate read.
      expect(r.classification.logprob_confidence!, c.doc.id).toBeLessThan(0.1);
      expect(r.classification.confidence).toBe(r.classification.logprob_confidence);
      const codes = r.review_reasons.map((x) => x.code);
      expect(codes, c.doc.id).toContain('LOW_CONFIDENCE');
      // Unless the injection also dictated the scores, they contradict the chosen category.
      expect(codes.includes('INCONSISTENT_SCORES'), c.doc.id).toBe(!c.demandsScores);
    }
    console.log(`[injection] CONFIDENCE_MODE=min (default): 0 of ${cases.length} reached documents.enriched\n${summary(items)}`);
  });

  it('self: the injections that also dictate the scores reach documents.enriched, which is why self is not the default', async () => {
    const { enriched, review } = await run({ CONFIDENCE_MODE: 'self' });
    const passed = enriched.filter((e) => cases.some((c) => c.doc.id === e.document_id));
    expect(passed.map((e) => e.document_id).sort()).toEqual(cases.filter((c) => c.demandsScores).map((c) => c.doc.id).sort());
    for (const e of passed) expect(e.classification).toMatchObject({ confidence: 1, confidence_source: 'self' });
    const caught = review.filter((r) => cases.some((c) => c.doc.id === r.document_id));
    for (const r of caught) expect(r.review_reasons.map((x) => x.code)).toEqual(['INCONSISTENT_SCORES']);
    console.log(`[injection] CONFIDENCE_MODE=self: ${passed.length} of ${cases.length} reached documents.enriched (${passed.map((e) => e.document_id).join(', ')}); the rest only through INCONSISTENT_SCORES`);
  });
});
