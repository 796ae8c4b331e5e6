/**
 * What the decisions say about the quality threshold. Per confidence band (0.0–0.1 up to the
 * band below the threshold): how often reviewers kept the model's category. And per band's lower
 * edge: had the threshold been that edge, which of the reviewed documents would have been
 * published without a person, and how many of those a reviewer changed (another category, or a
 * rejection). Only documents that went to review for low confidence alone count there: a
 * partial chain or an unknown category goes to review at any threshold.
 */
import type { ReviewDecision } from '../contracts/index.ts';

export interface Band {
  lower: number;
  upper: number;
  decided: number;
  /** Accepted, or edited with the category left as the model had it. */
  kept: number;
  /** Edited to another category. */
  recategorized: number;
  rejected: number;
  /** Had the threshold been `lower`: reviewed documents it would have published, and how many of those reviewers changed. */
  wouldPublish: number;
  wouldPublishChanged: number;
}

export interface Advice {
  bands: Band[];
  decided: number;
  /** The lowest band edge whose would-be-published documents reviewers changed at most `tolerance` of, with enough evidence. */
  suggestion: { threshold: number; changedShare: number; documents: number } | undefined;
}

const kept = (d: ReviewDecision) => d.decision !== 'rejected' && d.category === d.original_category;
const changed = (d: ReviewDecision) => !kept(d);
const lowConfidenceOnly = (d: ReviewDecision) => d.review_reasons.length > 0 && d.review_reasons.every((r) => r === 'LOW_CONFIDENCE');

export function thresholdAdvice(decisions: Iterable<ReviewDecision>, threshold: number, opts: { tolerance?: number; minDocuments?: number } = {}): Advice {
  const all = [...decisions];
  const top = Math.max(1, Math.ceil(Math.round(threshold * 1000) / 100));
  const bands: Band[] = [];
  for (let i = 0; i < top; i++) {
    const lower = i / 10;
    const upper = (i + 1) / 10;
    const inBand = all.filter((d) => d.original_confidence >= lower && (d.original_confidence < upper || (i === top - 1 && d.original_confidence <= upper)));
    const published = all.filter((d) => lowConfidenceOnly(d) && d.original_confidence >= lower);
    bands.push({
      lower, upper,
      decided: inBand.length,
      kept: inBand.filter(kept).length,
      recategorized: inBand.filter((d) => d.decision !== 'rejected' && !kept(d)).length,
      rejected: inBand.filter((d) => d.decision === 'rejected').length,
      wouldPublish: published.length,
      wouldPublishChanged: published.filter(changed).length,
    });
  }
  const tolerance = opts.tolerance ?? 0.05;
  const minDocuments = opts.minDocuments ?? 20;
  // Each lower edge publishes what the one above did and more: scan down, and stop at the first edge that is too often wrong.
  let suggestion: Advice['suggestion'];
  for (const b of [...bands].reverse()) {
    if (b.lower >= threshold) continue;
    const share = b.wouldPublish ? b.wouldPublishChanged / b.wouldPublish : 0;
    if (b.wouldPublish < minDocuments) continue;
    if (share > tolerance) break;
    suggestion = { threshold: b.lower, changedShare: share, documents: b.wouldPublish };
  }
  return { bands, decided: all.length, suggestion };
}
