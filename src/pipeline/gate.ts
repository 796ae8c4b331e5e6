/**
 * The quality gate: one pure function from a chain result and the threshold to a route.
 * A confident, complete result is published; anything else goes to a person, with reasons.
 */
import type { ReviewReason } from '../contracts/index.ts';
import type { ChainResult } from '../llm/chain/run-chain.ts';

export type GateDecision = { route: 'enriched' } | { route: 'review'; reasons: ReviewReason[] };

export function qualityGate(result: Pick<ChainResult, 'classification' | 'partial' | 'progress'>, threshold: number): GateDecision {
  const reasons: ReviewReason[] = [];
  const { confidence, category, scores } = result.classification;
  if (result.partial) {
    const failed = result.progress.extract?.failed;
    reasons.push({
      code: 'PARTIAL_CHAIN',
      message: `entity extraction failed${failed ? ` (${failed.code}: ${failed.message})` : ''}; the result was made without entities`,
    });
  }
  if (confidence === null || !Number.isFinite(confidence)) {
    reasons.push({ code: 'NO_USABLE_CONFIDENCE', message: 'the classifier gave no usable confidence' });
  } else if (confidence < threshold) {
    reasons.push({ code: 'LOW_CONFIDENCE', message: `confidence ${confidence.toFixed(3)} is below the threshold ${threshold}` });
  }
  // Own keys only: "constructor" must not count as configured because every object has it.
  if (!Object.hasOwn(scores, category)) {
    reasons.push({ code: 'UNKNOWN_CATEGORY', message: `category "${category}" is not among the configured categories` });
  }
  return reasons.length === 0 ? { route: 'enriched' } : { route: 'review', reasons };
}
