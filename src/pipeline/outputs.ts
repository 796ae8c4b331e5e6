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
  return {
    document_id: doc.id,
    ...(doc.title !== undefined ? { title: doc.title } : {}),
    ...(doc.source !== undefined ? { source: doc.source } : {}),
    original_content: doc.content,
    // Every step's output under its field (entities, summary, classification): the chain's list decides.
    ...(result.published as Pick<EnrichedDocument, 'entities' | 'summary' | 'classification'>),
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
