/**
 * The quality gate: one pure function from a chain result and the threshold to a route.
 * A confident, complete, self-consistent result is published; anything else goes to a person,
 * with reasons. The confidence it reads is the one CONFIDENCE_MODE chose (classify.ts).
 */
import type { ReviewReason } from '../contracts/index.ts';
import type { ChainResult } from '../llm/chain/run-chain.ts';

/** A chosen score this close to the top one is a tie (float noise), not a disagreement. */
const SCORE_TOLERANCE = 1e-9;

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
  } else {
    // The model's own scores must agree with its choice: a category picked against them is
    // what an instruction inside the document produces. A tie with the top score agrees.
    const chosen = scores[category]!;
    const top = Object.entries(scores).reduce((best, e) => (e[1] > best[1] ? e : best));
    if (top[1] - chosen > SCORE_TOLERANCE) {
      reasons.push({
        code: 'INCONSISTENT_SCORES',
        message: `the chosen category "${category}" scored ${chosen.toFixed(3)}, below "${top[0]}" at ${top[1].toFixed(3)} in the model's own scores`,
      });
    }
  }
  return reasons.length === 0 ? { route: 'enriched' } : { route: 'review', reasons };
}
