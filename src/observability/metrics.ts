/**
 * prom-client metrics, one registry per process (no global default registry, so tests stay
 * isolated). The LLM call series follow the OpenTelemetry GenAI semantic conventions in their
 * Prometheus form (gen_ai.client.operation.duration → gen_ai_client_operation_duration_seconds,
 * attributes with dots as underscores), so dashboards made for them fit. Durations are seconds.
 */
import client from 'prom-client';
import { createLiveGauges, type LiveSources } from './live-gauges.ts';

/** LLM calls take from tens of milliseconds (a small local model) to minutes (a long answer). */
export const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120];
/** Transactions and pool waits start well below LLM calls. */
const SHORT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120];
/** End-to-end latency includes retry delays and outages: up to an hour. */
const E2E_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600];
/** The semantic conventions' advice for gen_ai.client.token.usage. */
export const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304];

/** The GenAI attributes of one call, as labels. */
export const GEN_AI_LABELS = ['step', 'gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model', 'gen_ai_response_model'] as const;

export function createMetrics() {
  const registry = new client.Registry();
  const c = (name: string, help: string, labelNames: string[] = []) =>
    new client.Counter({ name, help, labelNames, registers: [registry] });
  const g = (name: string, help: string, labelNames: string[] = []) =>
    new client.Gauge({ name, help, labelNames, registers: [registry] });
  const h = (name: string, help: string, buckets: number[], labelNames: readonly string[] = []) =>
    new client.Histogram({ name, help, buckets, labelNames: [...labelNames], registers: [registry] });
  const live: LiveSources = createLiveGauges(registry);
  return {
    registry,
    /** Where the gauges read at scrape time get their values (consumer lag, oldest uncommitted, budget). */
    live,
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
    redisAvailable: registeredOnFirstSet(registry, new client.Gauge({
      name: 'enricher_redis_available',
      help: "1 while the shared LLM pool's Redis answers, 0 while it is away; absent when the processor uses no Redis",
      registers: [],
    })),
    dlqStorms: c('enricher_dlq_storms_total', 'Times the DLQ storm guard stopped intake'),
    shadowDocuments: c('enricher_shadow_documents_total', 'Sampled documents of a shadow candidate (SHADOW_MODEL), by outcome: written, failed (written with its error), skipped (budget share spent, backlog full, stopping), lost (not sent)', ['outcome']),

    llmDuration: h(
      'gen_ai_client_operation_duration_seconds',
      'LLM API call duration (one operation: the request and its answer, the SDK\'s own retries included), by step, model and outcome',
      DURATION_BUCKETS, [...GEN_AI_LABELS, 'outcome', 'error_type'],
    ),
    llmTokenUsage: h(
      'gen_ai_client_token_usage',
      'Tokens per billed LLM response, by direction (gen_ai_token_type input or output)',
      TOKEN_BUCKETS, [...GEN_AI_LABELS, 'gen_ai_token_type'],
    ),
    poolWait: h('enricher_pool_wait_seconds', 'Time an LLM call waited for a slot of the shared pool (rate limit and concurrency)', SHORT_BUCKETS, ['step']),
    chainDuration: h('enricher_chain_duration_seconds', 'One attempt of the LLM chain for a document, pool waits included, by the route it took', DURATION_BUCKETS, ['route']),
    endToEnd: h(
      'enricher_end_to_end_latency_seconds',
      "From the raw record's timestamp to the commit of its output, by route (retry delays included)",
      E2E_BUCKETS, ['route'],
    ),
    commitDuration: h('enricher_commit_duration_seconds', 'Output transactions (outputs and consumed offsets), by outcome: committed, aborted (fenced) or unknown (failed mid-way)', SHORT_BUCKETS, ['outcome']),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;

/**
 * An unlabelled gauge shows 0 from the start, so a processor without Redis would report Redis as
 * away forever (and an alert on it would never clear). This one joins the registry when first
 * set: absent until the Redis outage guard has an answer.
 */
function registeredOnFirstSet(registry: client.Registry, gauge: client.Gauge): { set(value: number): void } {
  let registered = false;
  return {
    set(value) {
      if (!registered) registry.registerMetric(gauge);
      registered = true;
      gauge.set(value);
    },
  };
}
