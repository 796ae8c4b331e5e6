/**
 * The quality gate: one pure function from a chain result and the threshold to a route.
 * A confident, complete, self-consistent result is published; anything else goes to a person,
 * with reasons. The confidence it reads is the one CONFIDENCE_MODE chose (classify.ts).
 */
import type { ReviewReason } from '../contracts/index.ts';
import type { ChainResult } from '../llm/chain/run-chain.ts';
import type { ClassifyOutput } from '../llm/chain/steps/classify.ts';

/** A chosen score this close to the top one is a tie (float noise), not a disagreement. */
const SCORE_TOLERANCE = 1e-9;

export type GateDecision = { route: 'enriched' } | { route: 'review'; reasons: ReviewReason[] };

/** What the gate reads of a chain result: the classifier's output, and the steps the chain went on without. */
export function gateInput(result: Pick<ChainResult, 'outputs' | 'partial' | 'progress'>): { classification: ClassifyOutput; partial: boolean; failed: { step: string; code: string; message: string }[] } {
  const failed = Object.entries(result.progress).flatMap(([step, p]) => {
    const f = step === 'failed_usage' ? undefined : (p as { failed?: { code: string; message: string } } | undefined)?.failed;
    return f ? [{ step, ...f }] : [];
  });
  return { classification: result.outputs.classification as ClassifyOutput, partial: result.partial, failed };
}

export function qualityGate(input: ReturnType<typeof gateInput>, threshold: number): GateDecision {
  const reasons: ReviewReason[] = [];
  const { confidence, category, scores } = input.classification;
  if (input.partial) {
    const failed = input.failed.map((f) => `${f.step} failed (${f.code}: ${f.message})`).join('; ');
    reasons.push({ code: 'PARTIAL_CHAIN', message: `${failed || 'a step failed'}; the result was made without it` });
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
