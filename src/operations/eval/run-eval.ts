/**
 * An evaluation run: the candidate answers every reviewed document (a few at a time; the LLM
 * pool bounds the calls), and both sides are scored against the reviewers (eval-metrics.ts).
 * What the candidate is and how the gate judges are the caller's (the composition root builds
 * the candidate's chain as the processor does); this only runs and counts.
 */
import type { RawDocument, ReviewItem } from '../../contracts/index.ts';
import { agreement, reviewerCategory, sideMetrics, type EvalCase, type SideAnswer, type SideMetrics } from './eval-metrics.ts';
import type { ReviewedDocument, ReviewedDocuments } from './reviewed-documents.ts';

/** The candidate's answer for one document; `error` when its chain failed (no category, not published, its billed calls still counted). */
export type CandidateAnswer = SideAnswer & { model?: string | undefined; error?: string | undefined };

export interface EvalSides {
  /** The current version's answer on the review item, judged at the threshold. */
  primary(item: ReviewItem): SideAnswer;
  candidate(doc: RawDocument): Promise<CandidateAnswer>;
}

export interface EvalReport {
  threshold: { value: number; source: string };
  documents: number;
  decisions: { accepted: number; edited: number; rejected: number };
  /** Decisions left out: their review record is gone or unreadable. */
  withoutOriginal: number;
  primary: { models: string[]; promptVersions: string[]; metrics: SideMetrics };
  candidate: { models: string[]; promptVersion: string; metrics: SideMetrics; failed: number };
  agreement: { same: number; of: number; share: number | null };
  cases: (EvalCase & { candidateError?: string })[];
}

/** The document as the processor read it, rebuilt from the review item. */
export function documentOf(item: ReviewItem): RawDocument {
  return { id: item.document_id, content: item.original_content, ...(item.title !== undefined ? { title: item.title } : {}), ...(item.source !== undefined ? { source: item.source } : {}) };
}

async function eachLimited<T, R>(xs: readonly T[], concurrency: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(xs.length);
  let next = 0;
  const worker = async () => {
    while (next < xs.length) {
      const i = next++;
      out[i] = await fn(xs[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, xs.length)) }, worker));
  return out;
}

const distinct = (xs: Iterable<string>) => [...new Set(xs)].sort();

export async function runEval(deps: {
  reviewed: ReviewedDocuments;
  sides: EvalSides;
  threshold: { value: number; source: string };
  candidate: { models: readonly string[]; promptVersion: string };
  concurrency?: number | undefined;
  onDone?: ((done: number, of: number) => void) | undefined;
}): Promise<EvalReport> {
  const docs = deps.reviewed.documents;
  let done = 0;
  const cases = await eachLimited(docs, deps.concurrency ?? 8, async ({ decision, item }: ReviewedDocument) => {
    const candidate = await deps.sides.candidate(documentOf(item));
    deps.onDone?.(++done, docs.length);
    const { error, model: _model, ...answer } = candidate;
    const c: EvalCase & { candidateError?: string } = {
      documentId: decision.document_id, decision: decision.decision, truth: reviewerCategory(decision),
      primary: deps.sides.primary(item), candidate: answer,
      ...(error ? { candidateError: error } : {}),
    };
    return c;
  });
  const count = (k: string) => docs.filter((d) => d.decision.decision === k).length;
  return {
    threshold: deps.threshold,
    documents: docs.length,
    decisions: { accepted: count('accepted'), edited: count('edited'), rejected: count('rejected') },
    withoutOriginal: deps.reviewed.withoutOriginal,
    primary: { models: distinct(docs.map((d) => d.item.model)), promptVersions: distinct(docs.map((d) => d.item.prompt_version)), metrics: sideMetrics(cases, 'primary') },
    candidate: { models: distinct(deps.candidate.models), promptVersion: deps.candidate.promptVersion, metrics: sideMetrics(cases, 'candidate'), failed: cases.filter((c) => c.candidateError).length },
    agreement: agreement(cases),
    cases,
  };
}
