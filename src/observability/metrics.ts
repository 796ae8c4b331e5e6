/** prom-client metrics, one registry per process (no global default registry, so tests stay isolated). */
import client from 'prom-client';

export function createMetrics() {
  const registry = new client.Registry();
  const c = (name: string, help: string, labelNames: string[] = []) =>
    new client.Counter({ name, help, labelNames, registers: [registry] });
  const g = (name: string, help: string, labelNames: string[] = []) =>
    new client.Gauge({ name, help, labelNames, registers: [registry] });
  return {
    registry,
    documents: c('enricher_documents_total', 'Documents finished, by route', ['route']),
    llmCalls: c('enricher_llm_calls_total', 'Real LLM API calls, by step and outcome', ['step', 'outcome']),
    llmCacheHits: c('enricher_llm_cache_hits_total', 'Chain steps answered from the result cache', ['step']),
    llmCacheUnwritten: c('enricher_llm_cache_unwritten_total', 'Answers the Redis result cache gave up writing (Redis away too long, or the backlog full): a replay of their documents calls the LLM again'),
    llmTokens: c(
      'enricher_llm_tokens_total',
      'Billed tokens by direction: input, cached_input (the part of input read from the prompt cache), output, reasoning (the part of output spent reasoning)',
      ['direction', 'model'],
    ),
    llmCostUsd: c('enricher_llm_cost_usd_total', 'Billed cost in USD', ['model']),
    llmCacheSavingUsd: c('enricher_llm_cache_saving_usd_total', 'What cached input saved against the uncached input price, in USD', ['model']),
    llmServiceTierCalls: c('enricher_llm_service_tier_calls_total', 'Billed calls by the service tier the response reported ("none" when it said nothing)', ['tier', 'model']),
    priceFallbacks: c('enricher_price_fallback_total', 'Calls priced with a fallback price (unknown model, or a service tier without a price)', ['model']),
    retries: c('enricher_retries_total', 'Documents sent to a retry topic', ['code']),
    dlq: c('enricher_dlq_total', 'Messages sent to the dead-letter topic', ['code']),
    inFlight: g('enricher_in_flight', 'Documents being processed by this instance'),
    pendingCommit: g('enricher_pending_commit', 'Finished documents waiting for a gap to fill before commit'),
    paused: g('enricher_paused', '1 while intake is paused, by reason', ['reason']),
    commits: c('enricher_commits_total', 'Output transactions committed'),
    redisAvailable: g('enricher_redis_available', "1 while the shared LLM pool's Redis answers, 0 while it is away"),
    dlqStorms: c('enricher_dlq_storms_total', 'Times the DLQ storm guard stopped intake'),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
