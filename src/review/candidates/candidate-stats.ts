/**
 * The Candidates page's numbers, pure: per shadow candidate, how often it names the primary's
 * category (overall and by the primary's category), where the two disagree, how often each is
 * right against the reviewers (on the documents both a reviewer decided and the shadow
 * compared, with `enricher eval`'s rules: accepted → the original category, edited → the
 * reviewer's, rejected left out), and what each costs per 1,000 documents.
 *
 * Only comparisons where the candidate answered count (a failed candidate chain has no
 * category and no cost to compare); they are counted apart as `failed`.
 */
import type { ReviewDecision, ShadowComparison } from '../../contracts/index.ts';
import { reviewerCategory, sideMetrics, type EvalCase, type SideMetrics } from '../../operations/eval/eval-metrics.ts';

export interface CategoryAgreement {
  /** The primary's category. */
  category: string;
  compared: number;
  agreed: number;
  share: number;
}

export interface Disagreement {
  documentId: string;
  primary: { category: string; confidence: number | null };
  candidate: { category: string; confidence: number | null };
  /** The gate would have routed the candidate's answer the other way. */
  routeDiffers: boolean;
  /** The reviewer's category, when a reviewer decided the document and named one. */
  reviewer: string | undefined;
  timestamp: string;
}

export interface CandidateStats {
  candidate: string;
  /** Comparisons where the candidate answered. */
  compared: number;
  /** Comparisons where the candidate's chain failed. */
  failed: number;
  agreed: number;
  /** agreed / compared; null without comparisons. */
  agreement: number | null;
  byCategory: CategoryAgreement[];
  /** Newest first, at most `maxDisagreements`; `disagreements` counts them all. */
  disagreementList: Disagreement[];
  disagreements: number;
  /** Compared documents a reviewer decided (any decision, rejections included). */
  reviewed: number;
  primary: SideMetrics;
  candidateSide: SideMetrics;
  /** Over every compared document: each side's cost per 1,000 and the candidate's share of the primary's cost. */
  cost: { primaryPer1k: number | null; candidatePer1k: number | null; share: number | null };
}

const money = (n: number) => Math.round(n * 1e12) / 1e12;

function evalCase(c: ShadowComparison & { shadow: NonNullable<ShadowComparison['shadow']> }, d: ReviewDecision): EvalCase {
  const side = (a: NonNullable<ShadowComparison['shadow']>) => ({ category: a.category, confidence: a.confidence ?? undefined, wouldPublish: a.route === 'enriched', costUsd: a.cost_usd });
  return { documentId: c.document_id, decision: d.decision, truth: reviewerCategory(d), primary: side(c.primary), candidate: side(c.shadow) };
}

/** One entry per candidate, by name. `decision` looks a document's latest decision up (the console's state). */
export function candidateStats(
  comparisons: Iterable<ShadowComparison>,
  decision: (documentId: string) => ReviewDecision | undefined,
  opts: { maxDisagreements?: number } = {},
): CandidateStats[] {
  const max = opts.maxDisagreements ?? 100;
  const byCandidate = new Map<string, ShadowComparison[]>();
  for (const c of comparisons) {
    const list = byCandidate.get(c.candidate) ?? [];
    list.push(c);
    byCandidate.set(c.candidate, list);
  }
  return [...byCandidate].sort(([a], [b]) => a.localeCompare(b)).map(([candidate, list]) => {
    const answered = list.filter((c): c is ShadowComparison & { shadow: NonNullable<ShadowComparison['shadow']> } => c.shadow !== null);
    const categories = new Map<string, { compared: number; agreed: number }>();
    const disagreeing: Disagreement[] = [];
    const cases: EvalCase[] = [];
    let primaryCost = 0;
    let candidateCost = 0;
    for (const c of answered) {
      const agrees = c.primary.category === c.shadow.category;
      const cat = categories.get(c.primary.category) ?? { compared: 0, agreed: 0 };
      cat.compared++;
      if (agrees) cat.agreed++;
      categories.set(c.primary.category, cat);
      primaryCost = money(primaryCost + c.primary.cost_usd);
      candidateCost = money(candidateCost + c.shadow.cost_usd);
      const d = decision(c.document_id);
      if (d) cases.push(evalCase(c, d));
      if (!agrees) {
        disagreeing.push({
          documentId: c.document_id,
          primary: { category: c.primary.category, confidence: c.primary.confidence },
          candidate: { category: c.shadow.category, confidence: c.shadow.confidence },
          routeDiffers: c.metrics?.route_differs ?? c.primary.route !== c.shadow.route,
          reviewer: d ? reviewerCategory(d) : undefined,
          timestamp: c.timestamp,
        });
      }
    }
    const agreed = [...categories.values()].reduce((n, c) => n + c.agreed, 0);
    const compared = answered.length;
    const per1k = (usd: number) => (compared ? money((usd / compared) * 1000) : null);
    disagreeing.sort((a, b) => b.timestamp.localeCompare(a.timestamp) || a.documentId.localeCompare(b.documentId));
    return {
      candidate, compared, failed: list.length - compared, agreed,
      agreement: compared ? agreed / compared : null,
      byCategory: [...categories].map(([category, c]) => ({ category, ...c, share: c.agreed / c.compared }))
        .sort((a, b) => b.compared - a.compared || a.category.localeCompare(b.category)),
      disagreementList: disagreeing.slice(0, max),
      disagreements: disagreeing.length,
      reviewed: cases.length,
      primary: sideMetrics(cases, 'primary'),
      candidateSide: sideMetrics(cases, 'candidate'),
      cost: { primaryPer1k: per1k(primaryCost), candidatePer1k: per1k(candidateCost), share: primaryCost > 0 ? candidateCost / primaryCost : null },
    };
  });
}

const pct = (n: number) => `${Math.round(n * 100)} %`;

/** The page's plain sentence, e.g. "offline-small agrees with the primary on 94 % of 50 documents at 38 % of the cost; …". */
export function candidateSentence(s: CandidateStats): string {
  if (s.agreement === null) return `${s.candidate} has not answered on any document yet${s.failed ? ` (its chain failed on ${s.failed})` : ''}.`;
  const cost = s.cost.share === null
    ? (s.cost.candidatePer1k ? 'while the primary\'s answers cost nothing to compare with' : 'at no cost on either side')
    : `at ${pct(s.cost.share)} of the cost`;
  const head = `${s.candidate} agrees with the primary on ${pct(s.agreement)} of ${s.compared} document${s.compared === 1 ? '' : 's'} ${cost}`;
  let tail: string;
  if (s.reviewed === 0) tail = 'no compared document has a reviewer\'s decision yet, so there is no accuracy against reviewers';
  else if (s.primary.judged === 0) tail = `the ${s.reviewed} reviewed document${s.reviewed === 1 ? ' was' : 's were all'} rejected, so there is no category to be right about`;
  else tail = `on ${s.primary.judged} reviewed document${s.primary.judged === 1 ? '' : 's'} it is right ${pct(s.candidateSide.accuracy!)} vs ${pct(s.primary.accuracy!)} for the primary`;
  return `${head}; ${tail}.`;
}
