/**
 * How a shadow candidate's answer compares with the primary's, pure: category agreement, the
 * confidence difference, the F1 of the entities and a token F1 of the summaries (the cheap
 * summary overlap: SQuAD's, on lower-cased words counted with repeats), and whether the gate
 * routes the two the other way. `enricher eval` scores against reviewers (operations/eval); this
 * scores against the primary, on live traffic, where no reviewer has spoken yet.
 */
import type { Entities, ShadowAnswer, ShadowMetrics } from '../../contracts/index.ts';

const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;

/** F1 of two multisets of strings; 1 when both are empty (two answers that agree there is nothing). */
export function multisetF1(candidate: readonly string[], reference: readonly string[]): number {
  if (candidate.length === 0 && reference.length === 0) return 1;
  if (candidate.length === 0 || reference.length === 0) return 0;
  const left = new Map<string, number>();
  for (const r of reference) left.set(r, (left.get(r) ?? 0) + 1);
  let common = 0;
  for (const c of candidate) {
    const n = left.get(c) ?? 0;
    if (n > 0) {
      common++;
      left.set(c, n - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / candidate.length;
  const recall = common / reference.length;
  return round4((2 * precision * recall) / (precision + recall));
}

/** An entity as compared: its type and its name, lower-cased with spaces collapsed; each counted once. */
export function entityKeys(e: Entities): string[] {
  const keys = new Set<string>();
  for (const [type, names] of Object.entries(e)) {
    if (!Array.isArray(names)) continue;
    for (const n of names) keys.add(`${type}:${String(n).toLowerCase().replace(/\s+/g, ' ').trim()}`);
  }
  return [...keys];
}

export const entitiesF1 = (candidate: Entities, reference: Entities): number => multisetF1(entityKeys(candidate), entityKeys(reference));

/** Lower-cased runs of letters and digits. */
export function summaryTokens(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

export const summaryTokenF1 = (candidate: string, reference: string): number => multisetF1(summaryTokens(candidate), summaryTokens(reference));

export function compareAnswers(primary: ShadowAnswer, shadow: ShadowAnswer): ShadowMetrics {
  const both = primary.confidence !== null && shadow.confidence !== null;
  return {
    category_agrees: primary.category === shadow.category,
    confidence_difference: both ? round4(shadow.confidence! - primary.confidence!) : null,
    entities_f1: entitiesF1(shadow.entities, primary.entities),
    summary_token_f1: summaryTokenF1(shadow.summary, primary.summary),
    route_differs: primary.route !== shadow.route,
  };
}

/** The comparisons written so far, summed: what the demo prints, and a quick look for an operator. */
export interface ShadowSummary {
  compared: number;
  categoryAgrees: number;
  routeDiffers: number;
  entitiesF1Sum: number;
  summaryF1Sum: number;
  primaryCostUsd: number;
  shadowCostUsd: number;
}

export const emptySummary = (): ShadowSummary => ({ compared: 0, categoryAgrees: 0, routeDiffers: 0, entitiesF1Sum: 0, summaryF1Sum: 0, primaryCostUsd: 0, shadowCostUsd: 0 });

export function addToSummary(s: ShadowSummary, primary: ShadowAnswer, shadow: ShadowAnswer, m: ShadowMetrics): void {
  s.compared++;
  if (m.category_agrees) s.categoryAgrees++;
  if (m.route_differs) s.routeDiffers++;
  s.entitiesF1Sum += m.entities_f1;
  s.summaryF1Sum += m.summary_token_f1;
  s.primaryCostUsd += primary.cost_usd;
  s.shadowCostUsd += shadow.cost_usd;
}

/** One plain sentence: "the candidate agrees on 94 % at 38 % of the cost", with the rest. */
export function formatSummary(candidate: string, s: ShadowSummary): string {
  if (s.compared === 0) return `shadow ${candidate}: no document compared`;
  const pct = (n: number) => `${Math.round(n * 100)} %`;
  const cost = s.primaryCostUsd > 0 ? ` at ${pct(s.shadowCostUsd / s.primaryCostUsd)} of the cost ($${s.shadowCostUsd.toFixed(6)} against $${s.primaryCostUsd.toFixed(6)})` : '';
  return `shadow ${candidate}: agrees on the category of ${s.categoryAgrees} of ${s.compared} documents (${pct(s.categoryAgrees / s.compared)})${cost}; ` +
    `${s.routeDiffers} routed the other way; mean entity F1 ${(s.entitiesF1Sum / s.compared).toFixed(2)}, summary token F1 ${(s.summaryF1Sum / s.compared).toFixed(2)}`;
}
