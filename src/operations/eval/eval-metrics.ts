/**
 * The numbers of `enricher eval`, pure: how often a side (the current version, "primary", or the
 * candidate) matches the reviewer's category, the precision of what it would have published at
 * the threshold, and its cost per 1,000 documents.
 *
 * What a decision says is right:
 * - accepted: the model's original category;
 * - edited: the category the reviewer chose;
 * - rejected: no category is right. A rejection is left out of category accuracy (the reviewer
 *   named no category to match), and counts as wrong in the precision of what a side would have
 *   published: publishing a document a person refused is a mistake whatever its category.
 */
import type { ReviewDecisionKind } from '../../contracts/index.ts';

/** One side's answer for one reviewed document. */
export interface SideAnswer {
  /** Undefined when the side gave no category (its chain failed). */
  category: string | undefined;
  confidence: number | undefined;
  /** Would the quality gate have published it at the threshold, without a person? */
  wouldPublish: boolean;
  costUsd: number;
}

export interface EvalCase {
  documentId: string;
  decision: ReviewDecisionKind;
  /** The reviewer's category; undefined for a rejection. */
  truth: string | undefined;
  primary: SideAnswer;
  candidate: SideAnswer;
}

export interface SideMetrics {
  documents: number;
  /** Documents with a reviewer's category (accepted or edited): accuracy's denominator. */
  judged: number;
  correct: number;
  /** correct / judged; null when nothing was judged. */
  accuracy: number | null;
  /** Documents the side would have published at the threshold. */
  published: number;
  /** Of those, the ones whose category the reviewer kept (not rejected, same category). */
  publishedRight: number;
  /** publishedRight / published; null when it would have published nothing. */
  precision: number | null;
  costUsd: number;
  /** costUsd / documents × 1000; null without documents. */
  costPer1k: number | null;
}

/** The category the reviewer holds right: the original when accepted, the chosen one when edited, none when rejected. */
export function reviewerCategory(d: { decision: ReviewDecisionKind; original_category: string; category?: string | undefined }): string | undefined {
  if (d.decision === 'rejected') return undefined;
  if (d.decision === 'accepted') return d.category ?? d.original_category;
  return d.category;
}

/** Money sums rounded to 1e-12, as usage is: float noise must not show. */
const money = (n: number) => Math.round(n * 1e12) / 1e12;

export function sideMetrics(cases: readonly EvalCase[], side: 'primary' | 'candidate'): SideMetrics {
  let judged = 0;
  let correct = 0;
  let published = 0;
  let publishedRight = 0;
  let costUsd = 0;
  for (const c of cases) {
    const a = c[side];
    const right = c.truth !== undefined && a.category === c.truth;
    if (c.truth !== undefined) {
      judged++;
      if (right) correct++;
    }
    if (a.wouldPublish) {
      published++;
      if (right) publishedRight++;
    }
    costUsd = money(costUsd + a.costUsd);
  }
  const documents = cases.length;
  return {
    documents, judged, correct, accuracy: judged ? correct / judged : null,
    published, publishedRight, precision: published ? publishedRight / published : null,
    costUsd, costPer1k: documents ? money((costUsd / documents) * 1000) : null,
  };
}

/** How often the two sides name the same category (both having one). */
export function agreement(cases: readonly EvalCase[]): { same: number; of: number; share: number | null } {
  const same = cases.filter((c) => c.primary.category !== undefined && c.primary.category === c.candidate.category).length;
  return { same, of: cases.length, share: cases.length ? same / cases.length : null };
}
