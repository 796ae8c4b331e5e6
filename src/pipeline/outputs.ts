/** Builds the published values from a document and its chain result. */
import type { EnrichedDocument, RawDocument, ReviewItem, ReviewReason, Usage } from '../contracts/index.ts';
import type { StepUsage } from '../llm/chain/call-step.ts';
import type { ChainResult } from '../llm/chain/run-chain.ts';

export function toWireUsage(u: StepUsage): Usage {
  return {
    calls: u.calls, cached_calls: u.cachedCalls, input_tokens: u.inputTokens, cached_input_tokens: u.cachedInputTokens ?? 0,
    output_tokens: u.outputTokens, reasoning_tokens: u.reasoningTokens ?? 0, cost_usd: u.costUsd,
  };
}

export function buildEnriched(
  doc: RawDocument,
  result: ChainResult,
  meta: { provider: 'openai' | 'offline'; promptVersion: string; now?: Date },
): EnrichedDocument {
  const c = result.classification;
  return {
    document_id: doc.id,
    ...(doc.title !== undefined ? { title: doc.title } : {}),
    ...(doc.source !== undefined ? { source: doc.source } : {}),
    original_content: doc.content,
    entities: result.progress.extract?.entities ?? { people: [], organizations: [], dates: [], topics: [] },
    summary: result.progress.summarize.summary,
    // A null confidence is published as 0: the contract keeps a number, the review reason says why.
    classification: {
      category: c.category, confidence: c.confidence ?? 0, scores: c.scores,
      ...(c.confidence_source === undefined ? {} : { confidence_source: c.confidence_source }),
      ...(c.self_confidence === undefined ? {} : { self_confidence: c.self_confidence }),
      ...(c.logprob_confidence === undefined ? {} : { logprob_confidence: c.logprob_confidence }),
    },
    usage: toWireUsage(result.usage),
    model: result.model,
    provider: meta.provider,
    offline: meta.provider === 'offline',
    partial: result.partial,
    prompt_version: meta.promptVersion,
    enriched_at: (meta.now ?? new Date()).toISOString(),
  };
}

export function buildReviewItem(enriched: EnrichedDocument, reasons: ReviewReason[], threshold: number): ReviewItem {
  return { ...enriched, review_reasons: reasons, threshold };
}
